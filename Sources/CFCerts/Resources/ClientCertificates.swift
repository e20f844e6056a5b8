#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The five endpoints of `/zones/{zone_id}/client_certificates`. Every method throws `CFCertsError` only.
public struct ClientCertificates: Sendable {
    let transport: Transport

    /// `per_page` bounds the API accepts.
    public static let perPageRange = 5...50

    /// One page of a zone's certificates, with its `result_info`.
    ///
    /// - Parameters:
    ///   - status: only certificates in this status; nil lists all.
    ///   - limit, offset: the API's window over the listing, applied before paging.
    public func listPage(zoneID: String, page: Int = 1, perPage: Int = 20, status: ClientCertificateStatus? = nil,
                         limit: Int? = nil, offset: Int? = nil) async throws(CFCertsError) -> ClientCertificatePage {
        let request = try listRequest(zoneID: zoneID, page: page, perPage: perPage, status: status, limit: limit, offset: offset)
        let response = try await transport.send(request, deadline: transport.callDeadline())
        return try scanListAnswer(response, operation: "listing") { body, status, ray throws(CFCertsError) in
            let answer = try ListAnswer.scan(body, httpStatus: status, rayID: ray, maxItems: perPage) {
                try ClientCertificate(scanning: &$0)
            }
            return (ClientCertificatePage(certificates: answer.items, resultInfo: answer.resultInfo), answer.success)
        }
    }

    /// `listPage` with each certificate as the JSON text the server sent (see `RawCertificatePage`): what the C
    /// facade hands out, without decoding into models and encoding again.
    package func listRawPage(zoneID: String, page: Int = 1, perPage: Int = 20, status: ClientCertificateStatus? = nil,
                             limit: Int? = nil, offset: Int? = nil) async throws(CFCertsError) -> RawCertificatePage {
        let request = try listRequest(zoneID: zoneID, page: page, perPage: perPage, status: status, limit: limit, offset: offset)
        let response = try await transport.send(request, deadline: transport.callDeadline())
        return try scanListAnswer(response, operation: "listing") { body, status, ray throws(CFCertsError) in
            let page = try RawCertificatePage(body: body, httpStatus: status, rayID: ray, maxItems: perPage)
            return (page, page.success)
        }
    }

    /// A list answer scanned by `scan` when it is a success; otherwise the error it stands for.
    private func scanListAnswer<Page>(
        _ response: APIResponse, operation: String,
        _ scan: ([UInt8], Int, String?) throws(CFCertsError) -> (page: Page, success: Bool)
    ) throws(CFCertsError) -> Page {
        do throws(CFCertsError) {
            return try scanListAnswer(response, scan)
        } catch {
            throw explained(error, operation: operation, access: .read)
        }
    }

    private func scanListAnswer<Page>(
        _ response: APIResponse, _ scan: ([UInt8], Int, String?) throws(CFCertsError) -> (page: Page, success: Bool)
    ) throws(CFCertsError) -> Page {
        let secrets = transport.configuration.credentials.secrets
        if (200..<300).contains(response.status) {
            do throws(CFCertsError) {
                let scanned = try scan(response.body, response.status, response.rayID)
                if scanned.success { return scanned.page }
            } catch {
                // `success: false` with `result: null` does not scan as a page; the answer's own error comes first.
                // Otherwise the scanner's message, which says what was wrong and at which byte.
                if let failure = ResponseDecoder.failure(of: response, secrets: secrets), failure.kind != .decoding {
                    throw failure
                }
                throw error
            }
        }
        throw ResponseDecoder.failure(of: response, secrets: secrets)
            ?? CFCertsError(kind: .decoding, message: "the API answered success: false", httpStatus: response.status, rayID: response.rayID)
    }

    private func listRequest(zoneID: String, page: Int, perPage: Int, status: ClientCertificateStatus?, limit: Int?,
                             offset: Int?) throws(CFCertsError) -> APIRequest {
        try PathSegment.validate(zoneID, name: "zone id")
        guard page >= 1 else { throw .invalidArgument("page must be at least 1") }
        try Self.checkPerPage(perPage)
        if let limit, limit < 1 { throw .invalidArgument("limit must be at least 1") }
        if let offset, offset < 0 { throw .invalidArgument("offset may not be negative") }
        if let status { try PathSegment.validate(status.rawValue, name: "status") }

        var query = [("page", String(page)), ("per_page", String(perPage))]
        if let status { query.append(("status", status.rawValue)) }
        if let limit { query.append(("limit", String(limit))) }
        if let offset { query.append(("offset", String(offset))) }
        return APIRequest(method: .get, pathSegments: ["zones", zoneID, "client_certificates"], query: query)
    }

    /// Every certificate of a zone, fetched page by page as the sequence is iterated (see `ClientCertificateSequence`).
    ///
    /// - Parameters:
    ///   - perPage: page size, 5...50; the default, 50, is the API's largest (the fewest requests).
    ///   - prefetchPages: how many following pages may be fetched while the current one is consumed, 0...8 (0:
    ///     strictly one request at a time). Order is preserved either way.
    /// - Throws: `invalidArgument` for a bad zone id, page size or prefetch count, before any request.
    public func list(zoneID: String, status: ClientCertificateStatus? = nil, perPage: Int = 50,
                     prefetchPages: Int = 0) throws(CFCertsError) -> ClientCertificateSequence {
        try list(zoneID: zoneID, status: status, perPage: perPage, prefetchPages: prefetchPages, taskExecutor: nil)
    }

    /// `list`, with the prefetching tasks run on `taskExecutor` (the C facade's own threads) rather than the
    /// global pool.
    package func list(zoneID: String, status: ClientCertificateStatus?, perPage: Int, prefetchPages: Int,
                      taskExecutor: (any TaskExecutor)?) throws(CFCertsError) -> ClientCertificateSequence {
        try Self.checkListing(zoneID: zoneID, status: status, perPage: perPage, prefetchPages: prefetchPages)
        return ClientCertificateSequence(resource: self, zoneID: zoneID, status: status, perPage: perPage,
                                         prefetchPages: prefetchPages, taskExecutor: taskExecutor)
    }

    /// Every certificate of a zone as JSON texts, a page at a time, with `list`'s rules (the C facade's iterator).
    package func rawPages(zoneID: String, status: ClientCertificateStatus?, perPage: Int, prefetchPages: Int,
                          taskExecutor: (any TaskExecutor)?) throws(CFCertsError) -> PageFetcher<RawCertificatePage> {
        try Self.checkListing(zoneID: zoneID, status: status, perPage: perPage, prefetchPages: prefetchPages)
        return PageFetcher(perPage: perPage, prefetchPages: prefetchPages, taskExecutor: taskExecutor) { [self] page throws(CFCertsError) in
            try await listRawPage(zoneID: zoneID, page: page, perPage: perPage, status: status)
        }
    }

    /// The parameters of a whole listing, checked before any request.
    private static func checkListing(zoneID: String, status: ClientCertificateStatus?, perPage: Int,
                                     prefetchPages: Int) throws(CFCertsError) {
        try PathSegment.validate(zoneID, name: "zone id")
        try checkPerPage(perPage)
        guard prefetchRange.contains(prefetchPages) else {
            throw .invalidArgument("prefetchPages must be from \(prefetchRange.lowerBound) to \(prefetchRange.upperBound)")
        }
        if let status { try PathSegment.validate(status.rawValue, name: "status") }
    }

    /// How many pages `list` may fetch ahead.
    public static let prefetchRange = 0...8

    /// One certificate.
    public func get(zoneID: String, id: String) async throws(CFCertsError) -> ClientCertificate {
        try await perform(try itemRequest(.get, zoneID: zoneID, id: id), as: ClientCertificate.self,
                          operation: "get", access: .read).result
    }

    /// Has Cloudflare's CA issue a certificate for `csr` (PEM), valid `validityDays` days after issue.
    /// Never retried in a way that could issue two certificates. An error after a request that may have been
    /// carried out (its answer lost, a 5xx, cancelled while in flight) has `outcomeUnknown` set.
    public func create(zoneID: String, csr: String, validityDays: Int) async throws(CFCertsError) -> ClientCertificate {
        try PathSegment.validate(zoneID, name: "zone id")
        guard !csr.isEmpty else { throw .invalidArgument("csr is empty") }
        guard csr.utf8.count <= 64 * 1024 else { throw .invalidArgument("csr is longer than 64 KiB") }
        guard validityDays >= 1 else { throw .invalidArgument("validityDays must be at least 1") }
        struct Body: Encodable {
            let csr: String
            let validity_days: Int
        }
        let body = try Self.encode(Body(csr: csr, validity_days: validityDays))
        let request = APIRequest(method: .post, pathSegments: ["zones", zoneID, "client_certificates"], body: body)
        let exchange = await transport.exchange(request, deadline: transport.callDeadline())
        do throws(CFCertsError) {
            return try decode(try exchange.result.get(), as: ClientCertificate.self).result
        } catch where error.kind == .cancelled {
            throw CFCertsError(kind: .cancelled, message: "the create was cancelled; if its request was already sent, the certificate may still have been issued: look for its CSR in a listing before creating it again",
                               outcomeUnknown: exchange.outcomeUnknown)
        } catch {
            let failure = explained(error, operation: "create", access: .write)
            throw exchange.outcomeUnknown ? failure.withOutcomeUnknown() : failure
        }
    }

    /// Reactivates a certificate in `pending_revocation` (it goes through `pending_reactivation` to `active`).
    ///
    /// When an attempt's outcome is unknown (no answer arrived, so it may have been done) and the retry is refused,
    /// the certificate is read: if it is already `pending_reactivation` or `active`, that is the result. When that
    /// read fails too, the error has `outcomeUnknown` set.
    public func reactivate(zoneID: String, id: String) async throws(CFCertsError) -> ClientCertificate {
        var request = try itemRequest(.patch, zoneID: zoneID, id: id)
        request.body = Array(#"{"reactivate":true}"#.utf8)
        return try await transition(request, zoneID: zoneID, id: id, reached: [.pendingReactivation, .active],
                                    operation: "reactivate")
    }

    /// Starts revoking an active certificate (it goes through `pending_revocation` to `revoked`).
    ///
    /// When an attempt's outcome is unknown (no answer arrived, so it may have been done) and the retry is refused,
    /// the certificate is read: if it is already `pending_revocation` or `revoked`, that is the result. When that
    /// read fails too, the error has `outcomeUnknown` set.
    public func revoke(zoneID: String, id: String) async throws(CFCertsError) -> ClientCertificate {
        let request = try itemRequest(.delete, zoneID: zoneID, id: id)
        return try await transition(request, zoneID: zoneID, id: id, reached: [.pendingRevocation, .revoked],
                                    operation: "revoke")
    }

    /// The check every operation applies to a zone or certificate id before sending anything: refuses empty,
    /// `.`, `..`, over-long (256 bytes) ids and ids with control characters.
    public static func checkIdentifier(_ id: String, name: String) throws(CFCertsError) {
        try PathSegment.validate(id, name: name)
    }

    private func itemRequest(_ method: APIRequest.Method, zoneID: String, id: String) throws(CFCertsError) -> APIRequest {
        try PathSegment.validate(zoneID, name: "zone id")
        try PathSegment.validate(id, name: "certificate id")
        return APIRequest(method: method, pathSegments: ["zones", zoneID, "client_certificates", id])
    }

    private static func checkPerPage(_ perPage: Int) throws(CFCertsError) {
        guard perPageRange.contains(perPage) else {
            throw .invalidArgument("perPage must be from \(perPageRange.lowerBound) to \(perPageRange.upperBound)")
        }
    }

    /// Sends `request` and decodes its answer; `deadline` is the call's (nil: the configuration's total timeout
    /// from now).
    private func perform<Result: Decodable>(_ request: APIRequest, as type: Result.Type, operation: String,
                                            access: PermissionHint.Access, deadline: ContinuousClock.Instant? = nil)
        async throws(CFCertsError) -> (result: Result, resultInfo: ResultInfo?)
    {
        do throws(CFCertsError) {
            let response = try await transport.send(request, deadline: deadline ?? transport.callDeadline())
            return try decode(response, as: type)
        } catch {
            throw explained(error, operation: operation, access: access)
        }
    }

    /// `error` with `PermissionHint`'s reading of an ambiguous 403.
    private func explained(_ error: CFCertsError, operation: String, access: PermissionHint.Access) -> CFCertsError {
        PermissionHint.explain(error, operation: operation, access: access,
                               credentialsAccepted: transport.credentialsAccepted)
    }

    private func decode<Result: Decodable>(_ response: APIResponse, as type: Result.Type)
        throws(CFCertsError) -> (result: Result, resultInfo: ResultInfo?)
    {
        try ResponseDecoder.decode(type, from: response, secrets: transport.configuration.credentials.secrets)
    }

    /// A revoke or reactivate, reconciled after an unknown outcome: a first attempt that was done but whose answer
    /// was lost makes the retry fail ("only an active certificate can be revoked"); the certificate's status then
    /// tells whether the change was made. Every request shares the call's deadline.
    private func transition(_ request: APIRequest, zoneID: String, id: String, reached: Set<ClientCertificateStatus>,
                            operation: String) async throws(CFCertsError) -> ClientCertificate
    {
        let deadline = transport.callDeadline()
        let exchange = await transport.exchange(request, deadline: deadline)
        do throws(CFCertsError) {
            return try decode(try exchange.result.get(), as: ClientCertificate.self).result
        } catch {
            guard exchange.outcomeUnknown, error.kind != .cancelled else {
                throw explained(error, operation: operation, access: .write)
            }
            let read = try? await perform(try itemRequest(.get, zoneID: zoneID, id: id), as: ClientCertificate.self,
                                          operation: "get", access: .read, deadline: deadline)
            guard let current = read?.result else {
                // Nothing told whether the change was made: whoever sends it again must look first.
                throw explained(error, operation: operation, access: .write).withOutcomeUnknown()
            }
            guard reached.contains(current.status) else { throw explained(error, operation: operation, access: .write) }
            transport.configuration.logger.debug("reconciled \(request.method.rawValue) \(id): already \(current.status)")
            return current
        }
    }

    private static func encode(_ value: some Encodable) throws(CFCertsError) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(value))
        } catch {
            throw .invalidArgument("the request body cannot be encoded as JSON")
        }
    }
}
