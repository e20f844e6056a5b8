import Foundation
import HTTPTypes
import Hummingbird

/// Builders for the emulator's responses.
enum HTTPResponses {
    static func json(_ status: HTTPResponse.Status, _ body: Data, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func envelope(_ result: some Encodable & Sendable, resultInfo: ResultInfo? = nil) -> Response {
        json(.ok, JSONBody.encode(Envelope.success(result, resultInfo: resultInfo)))
    }

    static func error(_ error: APIError, httpStatus: HTTPResponse.Status? = nil) -> Response {
        json(httpStatus ?? error.status, JSONBody.encode(Envelope<PublicCertificate>.failure(error)), headers: error.headers)
    }

    static func text(_ status: HTTPResponse.Status, _ body: String, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension Request {
    /// Reads the whole body, up to `limit` bytes. A larger body is read to its end and discarded (so the client
    /// can read the error instead of a reset connection), then refused; past 64 MiB the reading stops. A body cut
    /// off by the client going away throws `ClientClosedRequest`: nothing of the request is carried out.
    mutating func collectBody(limit: Int) async throws -> [UInt8] {
        var collected: [UInt8] = []
        var total = 0
        do {
            for try await chunk in body {
                total += chunk.readableBytes
                if total <= limit {
                    collected.append(contentsOf: chunk.readableBytesView)
                } else if total > 64 << 20 {
                    break
                }
            }
        } catch {
            throw ClientClosedRequest()
        }
        guard total <= limit else { throw APIError.bodyTooLarge(limit: limit) }
        return collected
    }
}
