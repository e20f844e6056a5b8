#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One credential's request budget in this process, shared by every call of every client that uses the
/// credential against the same API (see `Pacing`).
///
/// A fixed window: `limit` requests until `windowEnd`, then a new window. A call takes a request from the budget
/// before each attempt; when none is left it sleeps until the window ends (on an event-loop timer, so neither a
/// saturated Swift pool nor a child of `fork()` keeps it waiting) and tries again. Each answer corrects the
/// estimate: the server's count of requests left (lower when other programs use the credential), the seconds until
/// its window resets (rounded up, so the local window never ends before the server's), and its policy. An answer
/// to a request sent in an earlier local window describes a window that is over, and only its policy is used.
///
/// Guarded by `ForkSafeLock`: no waiter is queued anywhere (each sleeper re-checks when it wakes), so nothing of a
/// parent's waiting calls survives in a child.
final class RequestBudget: @unchecked Sendable {
    private var limit: Int
    private var window: Duration
    private var windowEnd: ContinuousClock.Instant?
    private var used = 0
    /// Counts local windows, so an answer can be matched with the window its request was sent in.
    private var epoch = 0
    /// Calls sleeping for the next window: where a new sleeper stands in line.
    private var waiting = 0

    /// Proof that a request was taken from the budget, in the window of `epoch`.
    struct Ticket: Sendable {
        fileprivate let epoch: Int
    }

    init(_ pacing: Pacing) {
        limit = pacing.requests
        window = pacing.window
    }

    /// Takes a request from the budget, sleeping until the budget returns if need be. When it would return only
    /// after `limit` (the call's deadline, or its longest pacing wait), throws `rateLimited` at once, with the
    /// time to wait; throws `cancelled` at once when the task is cancelled.
    func take(waitingAtMostUntil limit: ContinuousClock.Instant) async throws(CFCertsError) -> Ticket {
        while true {
            let now = ContinuousClock.now
            let decision = ForkSafeLock.withLock { takeOrPredict(now: now) }
            let returnsAt: ContinuousClock.Instant
            switch decision {
            case .go(let ticket): return ticket
            case .returnsAt(let instant): returnsAt = instant
            }
            guard returnsAt <= limit else {
                let wait = now.duration(to: returnsAt)
                throw CFCertsError(
                    kind: .rateLimited,
                    message: "the request budget (\(describedPolicy)) is spent until the window resets in \(Self.seconds(wait)) s, after this call's deadline (pacing)",
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

    /// Lets the server's answer correct the budget.
    func observe(_ headers: RateLimitHeaders, status: Int, retryAfter: Duration?, ticket: Ticket,
                 now: ContinuousClock.Instant = .now) {
        ForkSafeLock.withLock {
            if let serverLimit = headers.limit, let seconds = headers.windowSeconds, seconds <= 86_400 {
                limit = serverLimit
                window = .seconds(seconds)
            }
            guard ticket.epoch == epoch else { return }
            if let remaining = headers.remaining { used = max(used, limit - remaining) }
            if let reset = headers.resetSeconds, reset <= 86_400 { windowEnd = now + .seconds(reset) }
            // A 429 with requests left is some other limit (or a fault): the retry policy waits for it, the budget
            // does not.
            if status == 429, (headers.remaining ?? 0) == 0 {
                used = limit
                let asked = retryAfter ?? .seconds(headers.resetSeconds ?? 1)
                windowEnd = max(windowEnd ?? now, now + asked)
            }
        }
    }

    /// With the lock held: a ticket, or when the budget will next have room for this caller.
    private enum Decision {
        case go(Ticket)
        case returnsAt(ContinuousClock.Instant)
    }

    private func takeOrPredict(now: ContinuousClock.Instant) -> Decision {
        if let end = windowEnd, now >= end { startWindow(now: now) }
        if windowEnd == nil { windowEnd = now + window }
        if used < limit {
            used += 1
            return .go(Ticket(epoch: epoch))
        }
        // The callers already asleep go first, `limit` per window.
        let windowsAhead = Int64(waiting / max(limit, 1))
        return .returnsAt((windowEnd ?? now) + window * windowsAhead)
    }

    private func startWindow(now: ContinuousClock.Instant) {
        epoch &+= 1
        used = 0
        windowEnd = now + window
    }

    private var describedPolicy: String {
        ForkSafeLock.withLock { "\(limit) requests per \(window.components.seconds) s" }
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return "\(seconds).\(attoseconds / 100_000_000_000_000_000)"
    }
}

/// The process's budgets, one per credential and API base URL.
enum RequestBudgets {
    nonisolated(unsafe) private static var budgets: [String: RequestBudget] = [:]

    /// The budget of `credentials` at `baseURL`, started from `pacing` when this is its first user; nil when pacing
    /// is off. Keyed by a digest of the credentials, never the secret itself.
    static func budget(baseURL: String, credentials: Credentials, pacing: Pacing) -> RequestBudget? {
        guard pacing.isOn else { return nil }
        let key = baseURL + " " + SHA256Hex.of(credentials.secrets.joined(separator: "\u{0}"))
        return ForkSafeLock.withLock {
            if let budget = budgets[key] { return budget }
            let budget = RequestBudget(pacing)
            budgets[key] = budget
            return budget
        }
    }
}

