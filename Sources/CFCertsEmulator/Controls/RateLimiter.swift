import Foundation
import NIOConcurrencyHelpers

/// Cloudflare's per-credential request budget: `limit` requests per fixed `window`, then 429 until the window
/// ends. Reports the `Ratelimit` / `Ratelimit-Policy` header values the API sends.
final class RateLimiter: Sendable {
    typealias Policy = RateLimitPolicy

    /// The verdict on one request.
    struct Decision: Sendable {
        var allowed: Bool
        var remaining: Int
        /// Whole seconds until the window resets (at least 1).
        var resetSeconds: Int
    }

    let policy: Policy?
    private let windows = NIOLockedValueBox<[String: (start: ContinuousClock.Instant, used: Int)]>([:])

    /// `policy` nil turns rate limiting off.
    init(policy: Policy?) {
        self.policy = policy
    }

    /// Counts a request of `credential` (a key derived from it, never the secret) and decides.
    func check(credential: String, now: ContinuousClock.Instant = .now) -> Decision? {
        guard let policy else { return nil }
        return windows.withLockedValue { windows in
            var window = windows[credential] ?? (start: now, used: 0)
            if now - window.start >= policy.window { window = (start: now, used: 0) }
            let allowed = window.used < policy.limit
            if allowed { window.used += 1 }
            windows[credential] = window
            let left = policy.window - (now - window.start)
            return Decision(allowed: allowed, remaining: max(0, policy.limit - window.used),
                            resetSeconds: max(1, Int(left.seconds.rounded(.up))))
        }
    }

    /// The state of `credential`'s window without counting a request (for answers that are not counted: a
    /// refused credential, an injected fault).
    func peek(credential: String, now: ContinuousClock.Instant = .now) -> Decision? {
        guard let policy else { return nil }
        return windows.withLockedValue { windows in
            guard let window = windows[credential], now - window.start < policy.window else {
                return Decision(allowed: true, remaining: policy.limit, resetSeconds: max(1, Int(policy.window.seconds.rounded(.up))))
            }
            let left = policy.window - (now - window.start)
            return Decision(allowed: window.used < policy.limit, remaining: max(0, policy.limit - window.used),
                            resetSeconds: max(1, Int(left.seconds.rounded(.up))))
        }
    }

    func reset() { windows.withLockedValue { $0.removeAll() } }

    /// `Ratelimit-Policy` value, e.g. `"default";q=1200;w=300`.
    var policyHeader: String? {
        policy.map { "\"default\";q=\($0.limit);w=\(Int($0.window.seconds))" }
    }

    /// `Ratelimit` value, e.g. `"default";r=1199;t=300`.
    static func header(_ decision: Decision) -> String {
        "\"default\";r=\(decision.remaining);t=\(decision.resetSeconds)"
    }
}
