/// How calls share a credential's request budget (`Configuration.pacing`).
///
/// Cloudflare gives each credential a budget (1,200 requests per 5 minutes) and answers 429 to every call over it
/// until its window ends. With pacing on, the calls of a process that use one credential share one
/// `RequestBudget`: it starts from these figures, follows each answer's `Ratelimit` / `Ratelimit-Policy` headers
/// (so the server's figures, and what other programs using the credential spent, win), and a call waits for budget
/// instead of drawing a 429.
public struct Pacing: Sendable, Equatable, CustomStringConvertible {
    /// Requests allowed per window before the server's headers say otherwise; 0 when pacing is off.
    public let requests: Int
    /// The window's length.
    public let window: Duration

    /// Cloudflare's documented budget: 1,200 requests per 300 s. The default.
    public static let cloudflare = Pacing(requests: 1200, window: .seconds(300))
    /// No pacing: every call is sent at once, and a 429 is retried as `RetryPolicy` says.
    public static let off = Pacing(requests: 0, window: .zero)

    /// A budget of `requests` per `window` (checked when a client is made: 1 to 1,000,000,000 requests, a window
    /// of 1 s to a day).
    public static func budget(requests: Int, per window: Duration) -> Pacing {
        Pacing(requests: requests, window: window)
    }

    public var isOn: Bool { requests != 0 || window != .zero }

    public var description: String {
        isOn ? "\(requests) requests per \(window.components.seconds) s" : "off"
    }

    /// Reads `off` or `REQUESTS/SECONDS` (e.g. `1200/300`): the form of the CLI flag and the bindings' keyword.
    public init?(parsing text: String) {
        if text == "off" { self = .off; return }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let requests = Int(parts[0]), let seconds = Int64(parts[1]) else { return nil }
        self.init(requests: requests, window: .seconds(seconds))
        guard (try? validate()) != nil else { return nil }
    }

    private init(requests: Int, window: Duration) {
        self.requests = requests
        self.window = window
    }

    static let largestBudget = 1_000_000_000

    func validate() throws(CFCertsError) {
        guard isOn else { return }
        guard (1...Self.largestBudget).contains(requests) else {
            throw .invalidArgument("pacing allows 1 to \(Self.largestBudget) requests per window")
        }
        guard window >= .seconds(1), window <= Configuration.longestDuration else {
            throw .invalidArgument("the pacing window must be from 1 s to a day")
        }
    }
}
