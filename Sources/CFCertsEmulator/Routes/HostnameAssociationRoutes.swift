import Foundation
import HTTPTypes
import Hummingbird

/// `GET` and `PUT /zones/{zone_id}/certificate_authorities/hostname_associations`, as Cloudflare's OpenAPI
/// document describes them: the answer is `{"hostnames": [...]}` (never the CA id), `PUT` replaces the CA's list.
struct HostnameAssociationRoutes {
    let emulator: Emulator

    /// The most hostnames one CA's list holds, and the longest hostname (a DNS name's limit).
    static let maxHostnames = 10_000
    static let maxHostnameLength = 253

    func handle(_ route: Route, request: inout Request) async throws -> Response {
        let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) },
                               uniquingKeysWith: { first, _ in first })
        let body = request.method == .put ? try await request.collectBody(limit: emulator.configuration.maxBodySize) : []
        return try handle(route, method: request.method, query: query, body: body)
    }

    /// The operation for a method, its query and body read.
    func handle(_ route: Route, method: HTTPRequest.Method, query: [String: String], body: [UInt8]) throws -> Response {
        switch method {
        case .get:
            let authority = try query["mtls_certificate_id"].map {
                try Self.certificateAuthority($0, name: "mtls_certificate_id", isQuery: true)
            }
            return answer(emulator.hostnameAssociations.hostnames(zone: route.zoneID, certificateAuthority: authority))
        case .put:
            return try replace(zone: route.zoneID, body: body)
        default:
            throw APIError.methodNotAllowed(allowed: [.get, .put])
        }
    }

    /// `PUT {"hostnames"?, "mtls_certificate_id"?}`: neither is required; no `hostnames` replaces the list with
    /// an empty one, as `[]` does.
    func replace(zone: String, body: [UInt8]) throws -> Response {
        guard let value = JSONValue.parse(body) else { throw APIError.malformedJSON() }
        guard case .object(let fields) = value else {
            throw APIError(status: .badRequest, code: 1001, message: "Request body must be a JSON object, got \(value.typeName)")
        }
        var authority: String?
        if let id = fields["mtls_certificate_id"], id != .null {
            guard let text = id.string else { throw APIError.invalidField("mtls_certificate_id", "must be a string") }
            authority = try Self.certificateAuthority(text, name: "mtls_certificate_id", isQuery: false)
        }
        var hostnames: [String] = []
        if let list = fields["hostnames"], list != .null {
            guard case .array(let items) = list else { throw APIError.invalidField("hostnames", "must be an array of strings") }
            guard items.count <= Self.maxHostnames else {
                throw APIError.invalidField("hostnames", "may hold at most \(Self.maxHostnames) hostnames")
            }
            for item in items {
                guard let hostname = item.string else { throw APIError.invalidField("hostnames", "each must be a string") }
                guard Self.isHostname(hostname) else {
                    throw APIError.invalidField("hostnames", "'\(hostname.prefix(64))' is not a hostname (1 to \(Self.maxHostnameLength) bytes of labels of letters, digits, '-' and '_' joined by dots; the first may be '*')")
                }
                hostnames.append(hostname)
            }
        }
        try emulator.hostnameAssociations.replace(zone: zone, certificateAuthority: authority, with: hostnames)
        return answer(hostnames)
    }

    private func answer(_ hostnames: [String]) -> Response {
        HTTPResponses.envelope(["hostnames": hostnames])
    }

    /// A CA id of mTLS certificate management: 36 characters, a UUID.
    static func certificateAuthority(_ id: String, name: String, isQuery: Bool) throws -> String {
        let bytes = Array(id.utf8)
        let isUUID = bytes.count == 36 && bytes.indices.allSatisfy { index in
            [8, 13, 18, 23].contains(index) ? bytes[index] == UInt8(ascii: "-") : isHexDigit(bytes[index])
        }
        guard isUUID else {
            let reason = "must be the 36-character id of an mTLS certificate"
            throw isQuery ? APIError.invalidQuery(name, reason) : APIError.invalidField(name, reason)
        }
        return id.lowercased()
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
    }

    /// 1 to 253 bytes of dot-separated labels of 1 to 63 letters, digits, `-` (not first or last) and `_`; the first
    /// label may be `*` alone (a wildcard for every name under the rest).
    static func isHostname(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...maxHostnameLength).contains(bytes.count) else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return labels.enumerated().allSatisfy { index, label in
            if index == 0, labels.count > 1, label.elementsEqual([UInt8(ascii: "*")]) { return true }
            return (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                         UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                        true
                    default:
                        false
                    }
                }
        }
    }
}
