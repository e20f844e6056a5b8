/// How calls share a credential's request budget (`Configuration.pacing`).
///
/// Cloudflare gives each credential a budget (1,200 requests per 5 minutes) and answers 429 to every call over it
/// until its window ends. With pacing on, the calls of a process that use one credential share one
/// `RequestBudget`, which follows each answer's `Ratelimit` / `Ratelimit-Policy` headers (the server's figures,
/// and what other programs using the credential spent), and a call waits for budget instead of drawing a 429.
///
/// `.cloudflare`, the default, is only where the budget starts: the server's figures replace it, larger or
/// smaller. A budget the caller configures (`budget(requests:per:)`, or `REQUESTS/SECONDS` read by
/// `init(parsing:)`) is a ceiling, the most the caller's calls may spend (headroom for the other programs on the
/// credential): the server's figures may lower it, never raise it.
public struct Pacing: Sendable, Equatable, CustomStringConvertible {
    /// Requests allowed per window; 0 when pacing is off.
    public let requests: Int
    /// The window's length.
    public let window: Duration
    /// Whether the figures are a ceiling the caller configured (false for `.cloudflare` and `.off`).
    public let isCeiling: Bool

    /// Cloudflare's documented budget, 1,200 requests per 300 s, until the server's headers say otherwise. The
    /// default.
    public static let cloudflare = Pacing(requests: 1200, window: .seconds(300), isCeiling: false)
    /// No pacing: every call is sent at once, and a 429 is retried as `RetryPolicy` says.
    public static let off = Pacing(requests: 0, window: .zero, isCeiling: false)

    /// At most `requests` per `window`, fewer when the server's headers say so (checked when a client is made:
    /// 1 to 1,000,000,000 requests, a window of 1 s to a day).
    public static func budget(requests: Int, per window: Duration) -> Pacing {
        Pacing(requests: requests, window: window, isCeiling: true)
    }

    public var isOn: Bool { requests != 0 || window != .zero }

    public var description: String {
        isOn ? "\(requests) requests per \(window.components.seconds) s" : "off"
    }

    /// The pacing syntax of every face (the CLI's `--pacing`, the bindings' `pacing=`, `cfcerts_pacing_parse`):
    /// `off`, or `REQUESTS/SECONDS` in ASCII digits (e.g. `1200/300`), a ceiling. Anything else throws
    /// `invalidArgument` with `Pacing.rule`.
    public init(parsing text: String) throws(CFCertsError) {
        if text == "off" { self = .off; return }
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 2, let requests = Self.number(parts[0]), let seconds = Self.number(parts[1]) else {
            throw .invalidArgument(Self.rule)
        }
        self = .budget(requests: requests, per: .seconds(seconds))
        try validate()
    }

    /// What `init(parsing:)` and `validate()` say to a pacing they refuse.
    public static let rule =
        "pacing must be \"off\" or REQUESTS/SECONDS with 1 to \(largestBudget) requests per 1 to 86400 seconds (e.g. 1200/300)"

    static let largestBudget = 1_000_000_000

    /// 1 to 10 ASCII digits as a number (no sign, no spaces).
    private static func number(_ digits: Substring.UTF8View) -> Int? {
        guard (1...10).contains(digits.count), digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    private init(requests: Int, window: Duration, isCeiling: Bool) {
        self.requests = requests
        self.window = window
        self.isCeiling = isCeiling
    }

    func validate() throws(CFCertsError) {
        guard isOn else { return }
        guard (1...Self.largestBudget).contains(requests), window >= .seconds(1), window <= Configuration.longestDuration
        else { throw .invalidArgument(Self.rule) }
    }
}
