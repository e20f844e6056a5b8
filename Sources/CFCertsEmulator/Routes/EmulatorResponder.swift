import Foundation
import HTTPTypes
import Hummingbird

/// Serves `/client/v4/...` (the API) and `/__emulator/...` (test controls).
struct EmulatorResponder: HTTPResponder {
    typealias Context = EmulatorRequestContext

    let emulator: Emulator

    static let apiPrefix = "/client/v4"
    static let controlPrefix = "/__emulator"
    static let cfRay = HTTPField.Name("cf-ray")!
    static let rateLimit = HTTPField.Name("Ratelimit")!
    static let rateLimitPolicy = HTTPField.Name("Ratelimit-Policy")!

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        if path == Self.controlPrefix || path.hasPrefix(Self.controlPrefix + "/") {
            guard emulator.configuration.controlsEnabled else {
                return HTTPResponses.json(.forbidden, JSONBody.encode([
                    "error": "the test controls are off: the emulator listens on \(emulator.configuration.host), not loopback (start it with --allow-remote-controls to serve them)",
                ]))
            }
            if let refusal = CrossSiteGuard.refusal(of: request) {
                return HTTPResponses.json(.forbidden, JSONBody.encode(["error": refusal]))
            }
            return await ControlRoutes(emulator: emulator).respond(to: request)
        }
        let fault = emulator.faults.take(method: request.method.rawValue, path: path)
        var response: Response
        do {
            if let fault, let replacement = try await FaultResponses.act(fault) {
                response = replacement
            } else {
                response = try await api(request, context: context)
            }
        } catch let error as APIError {
            response = HTTPResponses.error(error)
        } catch is ConnectionDropped {
            try await drop(request, context: context)
        } catch is ClientClosedRequest {
            // Logged as nginx logs it (499): a request that never arrived whole is not counted as one carried out.
            response = Response(status: .init(code: 499, reasonPhrase: "Client Closed Request"))
        } catch {
            response = HTTPResponses.error(.internalError("\(type(of: error))"))
        }
        // The request was processed; its answer is lost.
        if fault?.kind == .lostAnswer { try await drop(request, context: context) }
        if let fault, fault.kind == .appliedThenError { response = FaultResponses.edgePage(status: fault.status ?? 504) }
        response.headers[Self.cfRay] = Self.newRayID()
        addRateLimitHeadersIfMissing(to: &response, request: request)
        log(request, status: response.status.code)
        return response
    }

    /// Every answer carries the budget headers, as the API's do: those refused before authentication or replaced
    /// by a fault report the presented credential's window as it stands (they are not counted).
    private func addRateLimitHeadersIfMissing(to response: inout Response, request: Request) {
        guard response.headers[Self.rateLimit] == nil,
              let decision = emulator.rateLimiter.peek(credential: Authenticator.presentedKey(request.headers))
        else { return }
        response.headers[Self.rateLimit] = RateLimiter.header(decision)
        response.headers[Self.rateLimitPolicy] = emulator.rateLimiter.policyHeader
    }

    /// Closes the connection without an answer. Logged (status 0) before the close, so a client that sees the
    /// connection drop also sees the log entry.
    private func drop(_ request: Request, context: Context) async throws -> Never {
        log(request, status: 0)
        try? await context.channel.close()
        throw ConnectionDropped()
    }

    /// One API request: routing, authentication, rate limiting, then the operation.
    private func api(_ request: Request, context: Context) async throws -> Response {
        guard let route = Route(path: request.uri.path) else { throw APIError.noRoute() }
        guard Self.isZoneID(route.zoneID) else { throw APIError.invalidZone(request.uri.path) }
        let credential = try emulator.authenticator.authenticate(request.headers)

        var rateHeaders: HTTPFields = [:]
        if let decision = emulator.rateLimiter.check(credential: credential.limiterKey) {
            rateHeaders[Self.rateLimit] = RateLimiter.header(decision)
            rateHeaders[Self.rateLimitPolicy] = emulator.rateLimiter.policyHeader
            guard decision.allowed else {
                var error = APIError.rateLimited(retryAfter: decision.resetSeconds)
                error.headers.append(contentsOf: rateHeaders)
                throw error
            }
        }
        // A token without the write permission: the API answers exactly as it does for unknown credentials.
        if !credential.mayWrite, request.method != .get {
            var error = APIError.unknownCredentials()
            error.headers.append(contentsOf: rateHeaders)
            throw error
        }
        var response: Response
        do {
            var request = request
            switch route.resource {
            case .clientCertificates:
                response = try await ClientCertificateRoutes(emulator: emulator).handle(route, request: &request)
            case .hostnameAssociations:
                response = try await HostnameAssociationRoutes(emulator: emulator).handle(route, request: &request)
            }
        } catch var error as APIError {
            error.headers.append(contentsOf: rateHeaders)
            throw error
        }
        response.headers.append(contentsOf: rateHeaders)
        return response
    }

    private func log(_ request: Request, status: Int) {
        emulator.requestLog.append(.init(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query ?? "",
            auth: Authenticator.schemes(request.headers),
            status: status,
            userAgent: request.headers[.userAgent] ?? "",
            time: Timestamp.format(Date())))
    }

    /// Zone ids are 32 lower-case hex digits.
    static func isZoneID(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// A `cf-ray` value: 16 hex digits and a data-centre code (`EMU` for the emulator).
    static func newRayID() -> String {
        Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) }) + "-EMU"
    }
}

/// A parsed API path, each segment percent-decoded: `/client/v4/zones/{zone}/client_certificates[/{id}]` or
/// `/client/v4/zones/{zone}/certificate_authorities/hostname_associations`.
struct Route: Sendable {
    enum Resource: Sendable {
        case clientCertificates
        case hostnameAssociations
    }

    var zoneID: String
    var resource: Resource
    /// A client certificate's id; nil for the collection.
    var certificateID: String?

    init?(path: String) {
        guard path.hasPrefix(EmulatorResponder.apiPrefix + "/") else { return nil }
        let segments = path.dropFirst(EmulatorResponder.apiPrefix.count + 1)
            .split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.removingPercentEncoding ?? String($0) }
        guard segments.count >= 3, segments[0] == "zones" else { return nil }
        zoneID = segments[1]
        switch Array(segments.dropFirst(2)) {
        case ["certificate_authorities", "hostname_associations"]:
            resource = .hostnameAssociations
        case let rest where (rest.count == 1 || rest.count == 2) && rest[0] == "client_certificates":
            resource = .clientCertificates
            certificateID = rest.count == 2 && !rest[1].isEmpty ? rest[1] : nil
        default:
            return nil
        }
    }
}

/// Thrown after a fault closed the connection: there is no response to write.
struct ConnectionDropped: Error {}

/// The client went away before its request's body arrived whole: nothing of it was carried out.
struct ClientClosedRequest: Error {}
