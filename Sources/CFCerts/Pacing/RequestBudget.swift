/// One credential's request budget in this process, shared by every call of every client that uses the
/// credential against the same API (see `Pacing`).
///
/// Two kinds of fixed window: the server's, which starts from the first user's figures and follows each answer's
/// `Ratelimit` headers, and a ceiling per configured budget (`Pacing.isCeiling`), which no header changes. A call
/// takes a request from the server's window and from its client's ceiling before each attempt; when either is
/// spent it sleeps until that window ends (on an event-loop timer, so neither a saturated Swift pool nor a child of
/// `fork()` keeps it waiting) and tries again.
///
/// Each answer corrects the server's window: its count of requests left (lower when other programs use the
/// credential), the seconds until its window resets (so the local window never ends before the server's), and its
/// policy. Only these headers can declare the budget spent, and only for as long as they say: a 429 without them
/// (a proxy's, a WAF's, another limit's) is the retry policy's business, not the budget's. An answer to a request
/// sent in an earlier local window describes a window that is over, and only its policy is used.
///
/// Guarded by `ForkSafeLock`: no waiter is queued anywhere (each sleeper re-checks when it wakes).
final class RequestBudget: @unchecked Sendable {
    private var server: FixedWindow
    private var ceilings: [Ceiling: FixedWindow] = [:]
    /// Calls sleeping for the next window: where a new sleeper stands in line.
    private var waiting = 0

    /// Proof that a request was taken from the budget, in the server's window of `epoch`.
    struct Ticket: Sendable {
        fileprivate let epoch: Int
    }

    /// A budget whose server window starts from `pacing`'s figures.
    init(startingFrom pacing: Pacing) {
        server = FixedWindow(limit: pacing.requests, window: pacing.window)
    }

    /// Takes a request from the budget (and from `pacing`'s ceiling when it is one), sleeping until the budget
    /// returns if need be. When it would return only after `limit` (the call's deadline, or its longest pacing
    /// wait), throws `rateLimited` at once, with the time to wait; throws `cancelled` at once when the task is
    /// cancelled.
    func take(within pacing: Pacing, waitingAtMostUntil limit: ContinuousClock.Instant) async throws(CFCertsError) -> Ticket {
        let ceiling = pacing.isCeiling ? Ceiling(requests: pacing.requests, window: pacing.window) : nil
        while true {
            let now = ContinuousClock.now
            let decision = ForkSafeLock.withLock { takeOrPredict(ceiling: ceiling, now: now) }
            let returnsAt: ContinuousClock.Instant, policy: String
            switch decision {
            case .go(let ticket):
                return ticket
            case .returnsAt(let instant, let spent):
                returnsAt = instant
                policy = spent
            }
            guard returnsAt <= limit else {
                let wait = now.duration(to: returnsAt)
                throw CFCertsError(
                    kind: .rateLimited,
                    message: "the request budget (\(policy)) is spent until the window resets in \(Self.seconds(wait)) s, after this call's deadline (pacing)",
                    retryAfter: wait)
            }
            ForkSafeLock.withLock { waiting += 1 }
            defer { ForkSafeLock.withLock { waiting -= 1 } }
            do {
                try await EventLoopSleep.sleep(until: returnsAt)
            } catch {
                throw .cancelled()
            }
        }
    }

    /// Lets the server's answer correct its window.
    func observe(_ headers: RateLimitHeaders, ticket: Ticket, now: ContinuousClock.Instant = .now) {
        ForkSafeLock.withLock {
            if let serverLimit = headers.limit, let seconds = headers.windowSeconds, seconds <= 86_400 {
                server.limit = serverLimit
                server.window = .seconds(seconds)
            }
            guard ticket.epoch == server.epoch else { return }
            if let remaining = headers.remaining { server.used = max(server.used, server.limit - remaining) }
            if let reset = headers.resetSeconds, reset <= 86_400 { server.end = now + .seconds(reset) }
        }
    }

    /// With the lock held: a ticket, or when the budget will next have room for this caller, and the figures of
    /// the window it waits for.
    private enum Decision {
        case go(Ticket)
        case returnsAt(ContinuousClock.Instant, policy: String)
    }

    private func takeOrPredict(ceiling key: Ceiling?, now: ContinuousClock.Instant) -> Decision {
        server.roll(now: now)
        var ceiling = key.map { ceilings[$0] ?? FixedWindow(limit: $0.requests, window: $0.window) }
        ceiling?.roll(now: now)
        defer { if let key, let ceiling { ceilings[key] = ceiling } }
        if server.hasRoom, ceiling?.hasRoom ?? true {
            server.used += 1
            ceiling?.used += 1
            return .go(Ticket(epoch: server.epoch))
        }
        // The later of the spent windows' ends; in each, the callers already asleep go first, `limit` per window.
        var returnsAt = now, policy = server.policy
        for window in [server, ceiling].compactMap({ $0 }) where !window.hasRoom {
            let windowsAhead = Int64(waiting / max(window.limit, 1))
            let returns = (window.end ?? now) + window.window * windowsAhead
            if returns >= returnsAt { (returnsAt, policy) = (returns, window.policy) }
        }
        return .returnsAt(returnsAt, policy: policy)
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return "\(seconds).\(attoseconds / 100_000_000_000_000_000)"
    }

    /// A configured budget's figures.
    private struct Ceiling: Hashable {
        var requests: Int
        var window: Duration
    }
}

/// `limit` requests per `window`, counted in fixed windows: a new one starts with the first request after the last
/// one ended.
private struct FixedWindow {
    var limit: Int
    var window: Duration
    var end: ContinuousClock.Instant?
    var used = 0
    /// Counts windows, so an answer can be matched with the window its request was sent in.
    var epoch = 0

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    var hasRoom: Bool { used < limit }

    var policy: String { "\(limit) requests per \(window.components.seconds) s" }

    mutating func roll(now: ContinuousClock.Instant) {
        guard let end else {
            self.end = now + window
            return
        }
        guard now >= end else { return }
        epoch &+= 1
        used = 0
        self.end = now + window
    }
}

/// The process's budgets, one per credential and API base URL. A child of `fork()` starts with none: its
/// parent's, with their counts of calls waiting on threads the child does not have, stay behind, untouched.
enum RequestBudgets {
    private static let registry = PerProcess { Registry() }

    /// Guarded by `ForkSafeLock`.
    private final class Registry: @unchecked Sendable {
        var budgets: [String: RequestBudget] = [:]
    }

    /// Names the budget of `credentials` at `baseURL` by a digest of the credentials, never the secret itself.
    static func key(baseURL: String, credentials: Credentials) -> String {
        baseURL + " " + SHA256Hex.of(credentials.secrets.joined(separator: "\u{0}"))
    }

    /// This process's budget under `key`, its server window started from `pacing` when this is its first user and
    /// it is no ceiling. A ceiling is its own client's (see `RequestBudget.take`): the server window then starts from
    /// Cloudflare's documented budget, so a later client with no ceiling is not held to another's.
    static func budget(key: String, startingFrom pacing: Pacing) -> RequestBudget {
        ForkSafeLock.withLock {
            let registry = registry.value
            if let budget = registry.budgets[key] { return budget }
            let budget = RequestBudget(startingFrom: pacing.isCeiling ? .cloudflare : pacing)
            registry.budgets[key] = budget
            return budget
        }
    }
}
