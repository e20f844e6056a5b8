#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns an `APIResponse` into a result or a `CFCertsError`.
///
/// `success: false` is an error even with HTTP 200; a non-JSON body (an HTML 502 from a proxy) is an api error
/// carrying its status; a 2xx body that is not the documented JSON is a decoding error.
enum ResponseDecoder {
    /// The envelope's status fields, decoded leniently so any error body yields what it holds.
    private struct Status: Decodable {
        var success: Bool?
        var errors: [CloudflareMessage]?
    }

    private struct Envelope<Result: Decodable>: Decodable {
        var result: Result
        var resultInfo: ResultInfo?

        enum CodingKeys: String, CodingKey {
            case result
            case resultInfo = "result_info"
        }
    }

    /// Cloudflare codes that mean the credentials are missing, malformed or unknown.
    static let authenticationCodes: Set<Int> = [6003, 6103, 6111, 9103, 9106, 10000, 10001]

    static func decode<Result: Decodable>(_ type: Result.Type, from response: APIResponse, secrets: [String])
        throws(CFCertsError) -> (result: Result, resultInfo: ResultInfo?)
    {
        if let failure = failure(of: response, secrets: secrets) { throw failure }
        do {
            let envelope = try JSONDecoding.decoder.decode(Envelope<Result>.self, from: Data(response.body))
            return (envelope.result, envelope.resultInfo)
        } catch let decodingError as DecodingError {
            throw CFCertsError(kind: .decoding, message: "unexpected response shape: \(describe(decodingError))",
                               httpStatus: response.status, rayID: response.rayID)
        } catch {
            throw CFCertsError(kind: .decoding, message: "unexpected response shape", httpStatus: response.status,
                               rayID: response.rayID)
        }
    }

    /// The error an answer stands for; nil when it is a success (2xx with `success: true`).
    static func failure(of response: APIResponse, secrets: [String]) -> CFCertsError? {
        let ok = (200..<300).contains(response.status)
        guard let status = try? JSONDecoding.decoder.decode(Status.self, from: Data(response.body)) else {
            let contentType = response.headers.first("content-type") ?? "no content type"
            if ok {
                return CFCertsError(
                    kind: .decoding, message: "the response is not JSON (\(contentType), \(response.body.count) bytes)",
                    httpStatus: response.status, rayID: response.rayID)
            }
            return error(status: response.status, errors: [], response: response, secrets: secrets,
                         fallback: "HTTP \(response.status) with a non-JSON body (\(contentType), \(response.body.count) bytes)")
        }
        guard ok, status.success == true else {
            return error(status: response.status, errors: status.errors ?? [], response: response, secrets: secrets,
                         fallback: ok ? "the API answered success: false" : "HTTP \(response.status)")
        }
        return nil
    }

    private static func error(status: Int, errors: [CloudflareMessage], response: APIResponse, secrets: [String],
                              fallback: String) -> CFCertsError {
        let codes = Set(errors.map(\.code))
        let kind: CFCertsError.Kind
        switch status {
        case 401: kind = .authentication
        case 403: kind = codes.isDisjoint(with: authenticationCodes) ? .permission : .authentication
        case 404: kind = .notFound
        case 429: kind = .rateLimited
        default: kind = codes.isDisjoint(with: authenticationCodes) ? .api : .authentication
        }
        let scrubbed = errors.map { message in
            var message = message
            message.message = scrub(message.message, secrets: secrets)
            message.documentationURL = message.documentationURL.map { scrub($0, secrets: secrets) }
            if let pointer = message.source?.pointer { message.source?.pointer = scrub(pointer, secrets: secrets) }
            return message
        }
        let text = scrubbed.isEmpty ? fallback : scrubbed.map { "\($0.message) (code \($0.code))" }.joined(separator: "; ")
        return CFCertsError(kind: kind, message: text, httpStatus: status, cloudflareErrors: scrubbed,
                            rayID: response.rayID, retryAfter: RetryAfter.parse(response.headers))
    }

    /// A server could echo a credential back in any text it sends; none of it reaches ours.
    private static func scrub(_ text: String, secrets: [String]) -> String {
        secrets.reduce(text) { text, secret in secret.count >= 4 ? text.replacing(secret, with: "<redacted>") : text }
    }

    /// Where the shape differed, without any of the values (which could be large, or secret).
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(path(context)).\(key.stringValue)"
        case .typeMismatch(let type, let context): return "\(path(context)) is not a \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)) is null, expected \(type)"
        case .dataCorrupted(let context): return "corrupt data at \(path(context))"
        @unknown default: return "undecodable"
        }
    }
}
