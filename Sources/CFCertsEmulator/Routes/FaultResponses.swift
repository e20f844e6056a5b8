import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Acts out an armed `Fault`.
enum FaultResponses {
    /// The response that replaces the real one, or nil when the request should then be served normally
    /// (kinds `delay` and `lost_answer`, whose answer the responder then drops). Throws `ConnectionDropped` for
    /// kind `drop` (the responder logs, then closes the connection).
    static func act(_ fault: Fault) async throws -> Response? {
        if let delay = fault.delayMs, delay > 0, fault.kind != .stall {
            try await Task.sleep(for: .milliseconds(delay))
        }
        var headers = HTTPFields()
        for (name, value) in fault.headers ?? [:] {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let status = HTTPResponse.Status(code: fault.status ?? 500)
        let message = fault.message ?? "Injected fault (\(fault.kind.rawValue))"
        var response: Response
        switch fault.kind {
        case .delay, .lostAnswer, .appliedThenError:
            return nil
        case .stall:
            response = stalled(for: .milliseconds(fault.delayMs ?? 60_000))
        case .drop:
            throw ConnectionDropped()
        case .status:
            response = HTTPResponses.error(
                APIError(status: status, code: fault.code ?? 1099, message: message))
        case .successFalse:
            response = HTTPResponses.error(
                APIError(status: .ok, code: fault.code ?? 1099, message: message))
        case .rateLimit:
            response = HTTPResponses.error(.rateLimited(retryAfter: fault.retryAfter ?? 1))
        case .html:
            response = edgePage(status: fault.status ?? 502)
        case .body:
            response = HTTPResponses.text(.init(code: fault.status ?? 200), fault.body ?? "",
                                          contentType: fault.contentType ?? "application/json")
        case .truncated:
            let whole = JSONBody.encode(Envelope.success(["id": "truncated", "status": "active"]))
            response = HTTPResponses.json(.ok, whole.prefix(whole.count / 2))
        }
        response.headers.append(contentsOf: headers)
        return response
    }

    /// The HTML page Cloudflare's edge answers with when the origin fails or is slow.
    static func edgePage(status code: Int) -> Response {
        let reason = Self.reasonPhrases[code] ?? "Error"
        return HTTPResponses.text(
            .init(code: code),
            "<html>\r\n<head><title>\(code) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(code) \(reason)</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n",
            contentType: "text/html")
    }

    /// 200 with a `Content-Length` for a whole envelope, half of it, then silence until `duration` has passed
    /// and the connection is closed (the body stays short).
    private static func stalled(for duration: Duration) -> Response {
        let whole = JSONBody.encode(Envelope.success(["id": "stalled", "status": "active"]))
        let half = ByteBuffer(bytes: whole.prefix(whole.count / 2))
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(contentLength: whole.count) { writer in
                try await writer.write(half)
                try await Task.sleep(for: duration)
                throw ConnectionDropped()
            })
    }

    private static let reasonPhrases = [
        500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
        520: "Web Server Returned an Unknown Error", 522: "Connection Timed Out", 524: "A Timeout Occurred",
    ]
}
