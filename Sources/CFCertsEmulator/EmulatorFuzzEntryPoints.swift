import Foundation
import HTTPTypes

/// The emulator's parsers of untrusted bytes, for the fuzz targets (`Sources/cfcerts-fuzz`, `make fuzz`): each
/// takes any bytes and must return, whatever they are.
package enum EmulatorFuzzEntryPoints {
    /// A PEM CSR as `POST .../client_certificates` reads and verifies it.
    package static func csr(_ bytes: [UInt8]) {
        _ = try? SigningRequest(pem: String(decoding: bytes, as: UTF8.self))
    }

    /// One API request: `METHOD-BYTE PATH?QUERY\nBODY`. Routed and served by an in-memory emulator of the
    /// caller's (reused across inputs: the store grows, as a running emulator's does).
    package static func request(_ bytes: [UInt8], emulator: Emulator) {
        let methods: [HTTPRequest.Method] = [.get, .post, .patch, .delete, .put]
        let method = methods[Int(bytes.first ?? 0) % methods.count]
        let rest = bytes.dropFirst()
        let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
        let target = String(decoding: rest[rest.startIndex..<newline], as: UTF8.self)
        let body = newline < rest.endIndex ? Array(rest[rest.index(after: newline)...]) : []
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let field = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[String(field[0]).removingPercentEncoding ?? ""] =
                    field.count == 2 ? (String(field[1]).removingPercentEncoding ?? "") : ""
            }
        }
        _ = JSONValue.parse(body)
        guard let route = Route(path: String(parts.first ?? "")), EmulatorResponder.isZoneID(route.zoneID) else { return }
        switch route.resource {
        case .clientCertificates:
            _ = try? ClientCertificateRoutes(emulator: emulator).handle(route, method: method, query: query, body: body)
        case .hostnameAssociations:
            _ = try? HostnameAssociationRoutes(emulator: emulator).handle(route, method: method, query: query, body: body)
        }
    }
}
