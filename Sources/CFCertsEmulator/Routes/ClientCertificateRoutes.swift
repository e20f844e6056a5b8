import Foundation
import HTTPTypes
import Hummingbird

/// The five operations on `/zones/{zone_id}/client_certificates`, as the API reference describes them.
struct ClientCertificateRoutes {
    let emulator: Emulator

    func handle(_ route: Route, request: inout Request) async throws -> Response {
        let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) },
                               uniquingKeysWith: { first, _ in first })
        let hasBody = request.method == .post || request.method == .patch
        let body = hasBody ? try await request.collectBody(limit: emulator.configuration.maxBodySize) : []
        return try handle(route, method: request.method, query: query, body: body)
    }

    /// The operation for a method on a route, its query and body read.
    func handle(_ route: Route, method: HTTPRequest.Method, query: [String: String], body: [UInt8]) throws -> Response {
        switch (method, route.certificateID) {
        case (.get, nil): return try list(zone: route.zoneID, query: query)
        case (.post, nil): return try create(zone: route.zoneID, body: body)
        case (.get, let id?): return try get(zone: route.zoneID, id: id)
        case (.patch, let id?): return try reactivate(zone: route.zoneID, id: id, body: body)
        case (.delete, let id?): return try revoke(zone: route.zoneID, id: id)
        case (_, nil): throw APIError.methodNotAllowed(allowed: [.get, .post])
        case (_, _?): throw APIError.methodNotAllowed(allowed: [.get, .patch, .delete])
        }
    }

    /// `GET`: one page, filtered by `status`, windowed by `offset`/`limit`.
    private func list(zone: String, query: [String: String]) throws -> Response {
        let page = try Self.integer(query["page"], name: "page", default: 1, range: 1...1_000_000_000)
        let perPage = try Self.integer(query["per_page"], name: "per_page", default: 20, range: 5...50)
        let offset = try Self.integer(query["offset"], name: "offset", default: 0, range: 0...1_000_000_000)
        let limit: Int? = try query["limit"].map { _ in
            try Self.integer(query["limit"], name: "limit", default: 0, range: 1...1_000_000_000)
        }
        var status: CertificateStatus?
        if let raw = query["status"], raw != "all" {
            guard let parsed = CertificateStatus(rawValue: raw) else {
                throw APIError.invalidQuery("status", "must be one of all, active, pending_reactivation, pending_revocation, revoked")
            }
            status = parsed
        }
        let listing = try emulator.store.list(
            zone: zone, status: status, offset: offset, limit: limit, page: page, perPage: perPage, now: Date())
        let info = ResultInfo(
            count: listing.records.count, page: page, perPage: perPage, totalCount: listing.totalCount,
            totalPages: (listing.totalCount + perPage - 1) / perPage)
        return HTTPResponses.envelope(listing.records.map { $0.publicView }, resultInfo: info)
    }

    /// `POST {"csr", "validity_days"}`: verify the CSR and issue a certificate from the CA.
    private func create(zone: String, body: [UInt8]) throws -> Response {
        let fields = try Self.object(body)
        guard let csrValue = fields["csr"], csrValue != .null else { throw APIError.missingField("csr") }
        guard let csr = csrValue.string else { throw APIError.invalidCSR("expected a string, got \(csrValue.typeName)") }
        guard let daysValue = fields["validity_days"], daysValue != .null else {
            throw APIError.missingField("validity_days")
        }
        guard let days = daysValue.integer else { throw APIError.invalidValidityDays("must be an integer") }
        guard APIError.validityDaysRange.contains(days) else { throw APIError.invalidValidityDays("is out of range") }
        let request = try SigningRequest(pem: csr)
        let record = try emulator.store.authority.record(for: request, validityDays: days, now: Date())
        try emulator.store.insert(record, zone: zone)
        return HTTPResponses.envelope(record.publicView)
    }

    private func get(zone: String, id: String) throws -> Response {
        guard let record = try emulator.store.certificate(zone: zone, id: id, now: Date()) else {
            throw APIError.certificateNotFound()
        }
        return HTTPResponses.envelope(record.publicView)
    }

    /// `PATCH {"reactivate": true}`.
    private func reactivate(zone: String, id: String, body: [UInt8]) throws -> Response {
        let fields = try Self.object(body)
        guard fields["reactivate"] == .bool(true) else {
            throw APIError.invalidField("reactivate", "must be true")
        }
        let record = try emulator.store.reactivate(
            zone: zone, id: id, now: Date(), delay: emulator.configuration.transitionDelay)
        return HTTPResponses.envelope(record.publicView)
    }

    /// `DELETE`: start revocation.
    private func revoke(zone: String, id: String) throws -> Response {
        let record = try emulator.store.revoke(
            zone: zone, id: id, now: Date(), delay: emulator.configuration.transitionDelay)
        return HTTPResponses.envelope(record.publicView)
    }

    private static func object(_ body: [UInt8]) throws -> [String: JSONValue] {
        guard let value = JSONValue.parse(body) else { throw APIError.malformedJSON() }
        guard case .object(let fields) = value else {
            throw APIError(status: .badRequest, code: 1001, message: "Request body must be a JSON object, got \(value.typeName)")
        }
        return fields
    }

    private static func integer(_ raw: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw else { return value }
        guard let parsed = Int(raw) else { throw APIError.invalidQuery(name, "'\(raw.prefix(40))' is not an integer") }
        guard range.contains(parsed) else {
            throw APIError.invalidQuery(name, "must be from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
    }
}
