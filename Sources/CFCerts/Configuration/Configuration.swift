#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// Everything a `CFCertsClient` needs: credentials, where the API is, timeouts, retries, logging.
public struct Configuration: Sendable {
    /// How requests authenticate.
    public var credentials: Credentials
    /// The API's base URL. Default `https://api.cloudflare.com/client/v4`. Plain `http://` is accepted only for
    /// loopback hosts (`127.0.0.0/8`, `::1`, `localhost`) unless `allowInsecureHTTP` is set.
    public var baseURL: String
    /// Allow `http://` to hosts other than loopback (credentials then cross the network in clear). Default false.
    public var allowInsecureHTTP = false
    /// Time allowed to open a connection. Default 5 s.
    public var connectTimeout: Duration = .seconds(5)
    /// Time allowed for one attempt of a request, from opening the connection to the last byte of the answer,
    /// however slowly the server sends it. Default 60 s.
    public var requestTimeout: Duration = .seconds(60)
    /// Time allowed for a whole call: every attempt, the waits between them and, for `revoke`/`reactivate`, the
    /// read that settles an unknown outcome. Default nil: no bound beyond `worstCaseCallTime`. When it runs out,
    /// the call ends with a `timeout` error; a wait that would outlast it is not started.
    public var totalTimeout: Duration?
    /// Retries after the first attempt, 0...10 (see `RetryPolicy`). Default 2.
    public var maxRetries = Self.defaultMaxRetries
    /// The first retry's backoff; each further one doubles it. Default 0.5 s.
    public var initialBackoff: Duration = .milliseconds(500)
    /// The longest backoff between retries. Default 8 s.
    public var maxBackoff: Duration = .seconds(8)
    /// The longest `Retry-After` honoured; a server asking for more ends the call with its error. Default 60 s.
    public var maxRetryAfter: Duration = .seconds(60)
    /// How calls share the credential's request budget (see `Pacing`). Default `.cloudflare` (1,200 requests per
    /// 300 s, then the server's `Ratelimit` headers); `.budget(requests:per:)` is a ceiling those headers may
    /// lower, never raise; `.off` sends every call at once. A call waits for budget at
    /// most until its `totalTimeout` runs out, or without one at most `maxRetryAfter` in all; when the budget
    /// returns later, the call fails at once as `rateLimited`, with `retryAfter` set to the wait.
    public var pacing: Pacing = .cloudflare
    /// Appended to the `User-Agent` header (`cfcerts/<version> <suffix>`). Default none.
    public var userAgentSuffix: String?
    /// The largest response body accepted. Default 16 MiB (a full page of 50 certificates is about 200 KB).
    public var maxResponseBytes = 16 << 20
    /// Where request and response logging goes. Default: nothing, unless `CLOUDFLARE_LOG=debug` is set, which
    /// logs at debug level to standard error. Credential headers are always redacted.
    public var logger: Logger

    public static let defaultBaseURL = "https://api.cloudflare.com/client/v4"
    public static let defaultMaxRetries = 2
    /// The longest any duration setting may be (one day): longer ones are refused, never overflowed.
    public static let longestDuration: Duration = .seconds(86_400)

    /// A configuration with every default but `credentials` (and `baseURL`, `logger` when given). Checked when a
    /// `CFCertsClient` is made from it.
    public init(credentials: Credentials, baseURL: String = Self.defaultBaseURL, logger: Logger? = nil) {
        self.credentials = credentials
        self.baseURL = baseURL
        self.logger = logger ?? Self.defaultLogger(environment: ProcessInfo.processInfo.environment)
    }

    /// The `User-Agent` sent with every request.
    public var userAgent: String {
        let base = "cfcerts/\(CFCertsVersion.string)"
        guard let userAgentSuffix, !userAgentSuffix.isEmpty else { return base }
        return base + " " + userAgentSuffix
    }

    /// The longest a call can block when `totalTimeout` is nil: every attempt taking `requestTimeout`, the
    /// longest wait between them (`maxBackoff` or `maxRetryAfter`) and, with pacing on, up to `maxRetryAfter`
    /// waiting for budget; `revoke` and `reactivate` may add one `get` (of the same bound) to settle an unknown
    /// outcome. With the defaults: 3 × 60 s + 2 × 60 s + 60 s = 360 s, and 720 s for `revoke`/`reactivate`.
    /// A `totalTimeout` lowers it.
    public var worstCaseCallTime: Duration {
        let pacingWait = pacing.isOn ? maxRetryAfter : .zero
        let attempts = requestTimeout * (maxRetries + 1) + max(maxBackoff, maxRetryAfter) * maxRetries + pacingWait
        guard let totalTimeout else { return attempts }
        return min(attempts, totalTimeout)
    }

    /// Checks the configuration before any request is sent.
    func validate() throws(CFCertsError) {
        try credentials.validate()
        _ = try BaseURL(baseURL, allowInsecureHTTP: allowInsecureHTTP)
        guard maxRetries >= 0, maxRetries <= 10 else { throw .invalidArgument("maxRetries must be from 0 to 10") }
        let durations: [(String, Duration?)] = [
            ("connectTimeout", connectTimeout), ("requestTimeout", requestTimeout), ("totalTimeout", totalTimeout),
            ("initialBackoff", initialBackoff), ("maxBackoff", maxBackoff), ("maxRetryAfter", maxRetryAfter),
        ]
        for case let (name, duration?) in durations where duration > Self.longestDuration {
            throw .invalidArgument("\(name) may be at most \(Self.longestDuration)")
        }
        guard initialBackoff >= .zero, maxBackoff >= initialBackoff, maxRetryAfter >= .zero else {
            throw .invalidArgument("backoffs must be non-negative, maxBackoff at least initialBackoff")
        }
        guard connectTimeout > .zero, requestTimeout > .zero, (totalTimeout ?? .seconds(1)) > .zero else {
            throw .invalidArgument("timeouts must be positive")
        }
        try pacing.validate()
        guard maxResponseBytes > 0 else { throw .invalidArgument("maxResponseBytes must be positive") }
        if let userAgentSuffix, userAgentSuffix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw .invalidArgument("userAgentSuffix holds control characters")
        }
    }

    static func defaultLogger(environment: [String: String]) -> Logger {
        let level = environment["CLOUDFLARE_LOG"].flatMap { Logger.Level(rawValue: $0.lowercased()) }
        guard let level else { return Logger(label: "cfcerts", factory: { _ in SwiftLogNoOpLogHandler() }) }
        var logger = Logger(label: "cfcerts", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }
}

/// A checked base URL: scheme, host, port and path prefix.
struct BaseURL: Sendable {
    let string: String

    init(_ text: String, allowInsecureHTTP: Bool) throws(CFCertsError) {
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil
        else { throw .invalidArgument("the base URL is not an absolute http(s) URL without query or fragment") }
        // Credentials in the URL would be sent to the server and shown wherever the URL is logged.
        guard components.user == nil, components.password == nil else {
            throw .invalidArgument("the base URL may not hold a user name or password (user:pass@); pass credentials as credentials")
        }
        switch scheme {
        case "https": break
        case "http":
            guard allowInsecureHTTP || Self.isLoopback(host) else {
                throw .invalidArgument("plain http:// is accepted only for loopback hosts (set allowInsecureHTTP to override)")
            }
        default:
            throw .invalidArgument("the base URL's scheme must be https (or http for loopback)")
        }
        string = trimmed
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.lowercased().filter { $0 != "[" && $0 != "]" }
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".")
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
