import Foundation
import HTTPTypes
import NIOConcurrencyHelpers

/// A misbehaviour to act out for the next `count` requests matching `method` and `path`.
public struct Fault: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Answer `status` with an error envelope (code `code`).
        case status
        /// Answer 429 with `Retry-After: retry_after`.
        case rateLimit = "rate_limit"
        /// Wait `delay_ms`, then serve the request normally.
        case delay
        /// Answer `status` (default 502) with an HTML page, as a proxy in front of the API would.
        case html
        /// Answer 200 with a JSON body cut off in the middle.
        case truncated
        /// Close the connection without answering.
        case drop
        /// Answer HTTP 200 with `success: false` and an error.
        case successFalse = "success_false"
        /// Answer `status` (default 200) with `body` verbatim, as `content_type` (default application/json).
        case body
        /// Process the request, then close the connection without answering: the change is made, the answer
        /// lost (as when a proxy times out).
        case lostAnswer = "lost_answer"
        /// Process the request, then answer `status` (default 504) with the edge's HTML page instead of the
        /// result: the change is made, the answer says it failed (an edge that gave up waiting for the origin).
        case appliedThenError = "applied_then_error"
        /// Answer 200 with the headers and half of a body, then send nothing more for `delay_ms` (default 60 s)
        /// before closing the connection.
        case stall
    }

    public var kind: Kind
    /// Upper-case HTTP method to match; nil matches any.
    public var method: String?
    /// Path to match; `*` matches one whole segment (`/client/v4/zones/*/client_certificates`). nil matches any.
    public var path: String?
    /// How many matching requests the fault applies to.
    public var count: Int = 1
    public var status: Int?
    public var code: Int?
    public var message: String?
    /// Seconds for `Retry-After` (kind `rate_limit`).
    public var retryAfter: Int?
    /// Milliseconds to wait before acting (kind `delay`, or before any other kind).
    public var delayMs: Int?
    /// Extra response headers, e.g. `{"x-should-retry": "false"}` or `{"retry-after-ms": "50"}`.
    public var headers: [String: String]?
    /// The body of kind `body`.
    public var body: String?
    /// The content type of kind `body`.
    public var contentType: String?

    enum CodingKeys: String, CodingKey {
        case kind, method, path, count, status, code, message, headers, body
        case contentType = "content_type"
        case retryAfter = "retry_after"
        case delayMs = "delay_ms"
    }

    public init(kind: Kind, method: String? = nil, path: String? = nil, count: Int = 1, status: Int? = nil,
                code: Int? = nil, message: String? = nil, retryAfter: Int? = nil, delayMs: Int? = nil,
                headers: [String: String]? = nil, body: String? = nil, contentType: String? = nil) {
        self.kind = kind
        self.method = method
        self.path = path
        self.count = count
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.delayMs = delayMs
        self.headers = headers
        self.body = body
        self.contentType = contentType
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        method = try container.decodeIfPresent(String.self, forKey: .method)?.uppercased()
        path = try container.decodeIfPresent(String.self, forKey: .path)
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        code = try container.decodeIfPresent(Int.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        retryAfter = try container.decodeIfPresent(Int.self, forKey: .retryAfter)
        delayMs = try container.decodeIfPresent(Int.self, forKey: .delayMs)
        headers = try container.decodeIfPresent([String: String].self, forKey: .headers)
        body = try container.decodeIfPresent(String.self, forKey: .body)
        contentType = try container.decodeIfPresent(String.self, forKey: .contentType)
    }

    /// The bounds every field is checked against when a fault is armed.
    static let countRange = 1...1_000_000
    static let statusRange = 200...599
    static let delayRange = 0...600_000
    static let retryAfterRange = 0...86_400

    /// Refuses values the emulator cannot act out (a status that is not an HTTP status, a delay of years, a header
    /// that cannot be sent) with a message naming the field.
    func validate() throws(ControlError) {
        func check(_ value: Int?, _ range: ClosedRange<Int>, _ name: String) throws(ControlError) {
            guard let value else { return }
            guard range.contains(value) else {
                throw ControlError("\(name) must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
            }
        }
        try check(count, Self.countRange, "count")
        try check(status, Self.statusRange, "status")
        try check(delayMs, Self.delayRange, "delay_ms")
        try check(retryAfter, Self.retryAfterRange, "retry_after")
        for (name, value) in headers ?? [:] {
            guard HTTPField.Name(name) != nil else { throw ControlError("headers: '\(name.prefix(64))' is not a header name") }
            guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw ControlError("headers: the value of \(name) holds a line break or NUL")
            }
        }
    }

    func matches(method: String, path: String) -> Bool {
        if let wanted = self.method, wanted != method { return false }
        guard let pattern = self.path else { return true }
        let patternSegments = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let pathSegments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard patternSegments.count == pathSegments.count else { return false }
        return zip(patternSegments, pathSegments).allSatisfy { $0 == "*" || $0 == $1 }
    }
}

/// The queue of armed faults; each request takes at most one (the first armed that matches).
final class FaultInjector: Sendable {
    private let faults = NIOLockedValueBox<[Fault]>([])

    func arm(_ fault: Fault) {
        faults.withLockedValue { $0.append(fault) }
    }

    /// The fault to act out for this request, if any; uses up one of its `count`.
    func take(method: String, path: String) -> Fault? {
        faults.withLockedValue { faults in
            guard let index = faults.firstIndex(where: { $0.matches(method: method, path: path) }) else { return nil }
            let fault = faults[index]
            faults[index].count -= 1
            if faults[index].count <= 0 { faults.remove(at: index) }
            return fault
        }
    }

    var armed: [Fault] { faults.withLockedValue { $0 } }

    func clear() { faults.withLockedValue { $0.removeAll() } }
}
