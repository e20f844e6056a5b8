/// When to try a request again, and how long to wait first.
///
/// Retried: connection failures, timeouts, 408, 409, 429, 5xx, and anything with `x-should-retry: true`;
/// never anything with `x-should-retry: false`. A create (`POST`) is retried only when it certainly was not
/// processed — the connection could not be opened, 429, or `x-should-retry: true` — so a retry never mints a
/// duplicate certificate. Backoff is exponential (by default 0.5 s, 1 s, 2 s, … up to 8 s) with jitter; the server's
/// `Retry-After-Ms` / `Retry-After` (see `RetryAfter`) replaces it, up to `Configuration.maxRetryAfter`: a server
/// asking for longer ends the call with its answer.
struct RetryPolicy: Sendable {
    var maxRetries: Int
    var maxRetryAfter: Duration
    var initialBackoff: Duration
    var maxBackoff: Duration

    /// What a failed attempt allows.
    enum Verdict: Equatable {
        case retry(after: Duration)
        case stop
    }

    /// The verdict on an answer with an HTTP status.
    func verdict(status: Int, headers: ResponseHeaders, request: APIRequest, attempt: Int) -> Verdict {
        guard attempt < maxRetries else { return .stop }
        let shouldRetry = headers.first("x-should-retry")?.lowercased()
        if shouldRetry == "false" { return .stop }
        let retryable: Bool
        if shouldRetry == "true" {
            retryable = true
        } else if request.isIdempotent {
            retryable = status == 408 || status == 409 || status == 429 || status >= 500
        } else {
            retryable = status == 429
        }
        guard retryable else { return .stop }
        if let asked = RetryAfter.parse(headers) {
            return asked <= maxRetryAfter ? .retry(after: asked) : .stop
        }
        return .retry(after: backoff(attempt: attempt))
    }

    /// The verdict on a transport failure. `connected` tells whether the request may have reached the server.
    func verdict(transportFailure connected: Bool, request: APIRequest, attempt: Int) -> Verdict {
        guard attempt < maxRetries else { return .stop }
        guard request.isIdempotent || !connected else { return .stop }
        return .retry(after: backoff(attempt: attempt))
    }

    /// Exponential backoff for retry number `attempt + 1`, with up to 25% taken off at random.
    func backoff(attempt: Int) -> Duration {
        let exponential = initialBackoff * (1 << min(attempt, 16))
        let capped = min(exponential, maxBackoff)
        return capped * (1 - 0.25 * Double.random(in: 0..<1))
    }
}

/// Response headers, looked up case-insensitively.
struct ResponseHeaders: Sendable {
    private let fields: [(name: String, value: String)]

    init(_ fields: [(name: String, value: String)]) {
        self.fields = fields.map { (name: $0.name.lowercased(), value: $0.value) }
    }

    func first(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}
