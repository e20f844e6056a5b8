import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOSSL

/// One request through the gateway: the client-certificate fields, the rule, then an answer with the fields or
/// the request proxied to the upstream origin with the managed transform's headers.
struct MTLSGatewayResponder: HTTPResponder {
    typealias Context = EmulatorRequestContext

    let emulator: Emulator
    let upstream: UpstreamProxy?

    static let maxBodySize = 1 << 20

    /// Whether the rule applies: with `mtlsEnforce` `.associated`, to requests whose host is associated with the
    /// managed CA: the Host header's (not the connection's SNI: a client can send one name in its hello and another
    /// in its request), in any case, with or without the root's trailing dot. A request without a host is guarded.
    /// (An absolute-form request target's host is not seen: the HTTP layer keeps the Host header's.)
    private func isGuarded(_ request: Request) -> Bool {
        guard emulator.configuration.mtlsEnforce == .associated else { return true }
        guard let authority = request.head.authority else { return true }
        let host = Self.hostname(ofAuthority: authority)
        return host.isEmpty || emulator.hostnameAssociations.isAssociatedWithManagedCA(host)
    }

    /// `host[:port]` or `[v6]:port` without the port.
    static func hostname(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<end])
        }
        return String(authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let certificate = try? await context.channel.nioSSL_peerCertificate().get()
        let der = certificate.flatMap { try? $0.toDERBytes() }
        let store = emulator.store
        let fields = ClientCertificateFields.compute(
            presented: der, authority: store.authority.certificate, now: Date(),
            status: { store.status(fingerprintSHA256: $0, now: Date()) })
        let rule = emulator.configuration.mtlsRule
        if isGuarded(request), let failed = rule.failedCondition(fields) {
            var body: [String: JSONValue] = [
                "success": .bool(false), "blocked": .bool(true), "rule": .string(rule.expression),
                "failed_condition": .string(failed), "tls_client_auth": .object(fields.json),
            ]
            if !fields.verifyError.isEmpty { body["verify_error"] = .string(fields.verifyError) }
            return HTTPResponses.json(.forbidden, JSONBody.encode(body))
        }
        if let upstream {
            return try await upstream.forward(request, fields: fields, maxBodySize: Self.maxBodySize)
        }
        return HTTPResponses.json(.ok, JSONBody.encode([
            "success": .bool(true), "rule": .string(rule.expression),
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "tls_client_auth": .object(fields.json),
        ] as [String: JSONValue]))
    }
}
