import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// Forwards passing requests to a local origin as Cloudflare's edge does with the "Add TLS client auth headers"
/// managed transform: the client's own `cf-cert-*`, `Client-Cert` and `Client-Cert-Chain` headers removed first,
/// the gateway's added.
final class UpstreamProxy: Sendable {
    let baseURL: String
    private let client: HTTPClient

    init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// Hop-by-hop headers (RFC 9110 7.6.1) and the ones the managed transform owns.
    static func isForwarded(_ name: String) -> Bool {
        let name = name.lowercased()
        let hopByHop: Set = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                             "upgrade", "host", "content-length"]
        return !hopByHop.contains(name) && !name.hasPrefix("cf-cert-") && name != "client-cert" && name != "client-cert-chain"
    }

    func forward(_ request: Request, fields: ClientCertificateFields, maxBodySize: Int) async throws -> Response {
        var outgoing = HTTPClientRequest(url: baseURL + (request.uri.string.hasPrefix("/") ? request.uri.string : "/" + request.uri.string))
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where Self.isForwarded(field.name.canonicalName) {
            outgoing.headers.add(name: field.name.canonicalName, value: field.value)
        }
        for (name, value) in fields.headers { outgoing.headers.add(name: name, value: value) }
        let body = try await request.body.collect(upTo: maxBodySize)
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        let answer: HTTPClientResponse
        do {
            answer = try await client.execute(outgoing, timeout: .seconds(60))
        } catch {
            return HTTPResponses.json(.badGateway, JSONBody.encode([
                "success": .bool(false), "error": .string("the upstream \(baseURL) did not answer: \(error)"),
            ] as [String: JSONValue]))
        }
        var headers = HTTPFields()
        for header in answer.headers where Self.isForwarded(header.name) {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        let responseBody = try await answer.body.collect(upTo: 16 << 20)
        return Response(status: .init(code: Int(answer.status.code)), headers: headers,
                        body: ResponseBody(byteBuffer: responseBody))
    }
}
