@testable import CFCertsEmulator
import CFCertsTestSupport
import Foundation
import Testing

/// The emulator's shared state (request log, faults, rate limits, the store) changed from many plain threads at
/// once, as Hummingbird's connections change it. Plainly this checks that nothing is lost; under
/// `make sanitize` (ThreadSanitizer) it checks that the locks are ones TSan can see: the threads share no other
/// synchronisation, so a lock TSan cannot see (Synchronization's `Mutex` on Linux) is reported as a race here.
@Suite("Emulator: shared state from many threads")
struct SharedStateTests {
    static let threads = 8
    static let rounds = 200

    @Test("log, faults, rate limits and the store from 8 threads x 200 rounds: every change kept")
    func everyChangeKept() throws {
        let log = RequestLog()
        let faults = FaultInjector()
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 1_000_000, window: .seconds(300)))
        let store = try CertificateStore(database: nil, keyType: .p256)
        let zone = "0123456789abcdef0123456789abcdef"
        let entry = RequestLog.Entry(method: "GET", path: "/p", query: "", auth: "bearer", status: 200,
                                     userAgent: "t", time: "now")
        let taken = LockedValue(0)

        PlainThreads.run(Self.threads) { thread in
            for round in 0..<Self.rounds {
                log.append(entry)
                faults.arm(Fault(kind: .status, path: "/thread/\(thread)", count: 1, status: 503))
                if faults.take(method: "GET", path: "/thread/\(thread)") != nil { taken.withLock { $0 += 1 } }
                _ = limiter.check(credential: "shared")
                if round % 20 == 0 {
                    try? store.seed(zone: zone, count: 1, status: .active, commonNamePrefix: "t\(thread)",
                                    validityDays: 30, now: Date())
                    _ = store.count(zone: zone)
                }
            }
        }

        let total = Self.threads * Self.rounds
        #expect(log.all.count == total)
        #expect(taken.withLock { $0 } == total)
        #expect(faults.armed.isEmpty)
        #expect(limiter.peek(credential: "shared")?.remaining == 1_000_000 - total)
        #expect(store.count(zone: zone) == Self.threads * (Self.rounds / 20))
    }
}
