import CFCertsEmulator
import Foundation
import Testing

@Suite("Rate limiting")
struct RateLimitTests {
    @Test("the budget is per credential; past it, 429 with Retry-After until the window ends")
    func budget() async throws {
        try await EmulatorHarness.with({ $0.rateLimit = RateLimitPolicy(limit: 3, window: .seconds(30)) }) { emulator in
            let path = EmulatorHarness.certificatesPath(EmulatorHarness.newZone())
            var remaining: [String] = []
            for _ in 0..<3 {
                let reply = try await emulator.send(.GET, path)
                #expect(reply.status == 200)
                remaining.append(reply.headers["Ratelimit"].first ?? "")
            }
            #expect(remaining.map { $0.components(separatedBy: ";")[1] } == ["r=2", "r=1", "r=0"])
            let limited = try await emulator.send(.GET, path)
            #expect(limited.status == 429)
            #expect(limited.errorCode == 971)
            let retryAfter = try #require(Int(limited.headers["Retry-After"].first ?? ""))
            #expect((1...30).contains(retryAfter))
            #expect(limited.headers["Ratelimit-Policy"].first == "\"default\";q=3;w=30")

            // Another credential has its own budget.
            let other = try await emulator.send(.GET, path, headers: AuthenticationTests.keyHeaders)
            #expect(other.status == 200)
        }
    }

    @Test("the budget comes back when the window ends")
    func windowResets() async throws {
        try await EmulatorHarness.with({ $0.rateLimit = RateLimitPolicy(limit: 1, window: .seconds(1)) }) { emulator in
            let path = EmulatorHarness.certificatesPath(EmulatorHarness.newZone())
            var limited: EmulatorHarness.Reply?
            for _ in 0..<20 where limited == nil {
                let reply = try await emulator.send(.GET, path)
                if reply.status == 429 { limited = reply }
            }
            let reply = try #require(limited)
            let retryAfter = try #require(Int(reply.headers["Retry-After"].first ?? ""))
            try await Task.sleep(for: .seconds(retryAfter))
            #expect(try await emulator.send(.GET, path).status == 200)
        }
    }

    @Test("off: no limit and no rate-limit headers")
    func off() async throws {
        try await EmulatorHarness.with({ $0.rateLimit = nil }) { emulator in
            let path = EmulatorHarness.certificatesPath(EmulatorHarness.newZone())
            for _ in 0..<20 {
                let reply = try await emulator.send(.GET, path)
                #expect(reply.status == 200)
                #expect(reply.headers["Ratelimit"].isEmpty)
            }
        }
    }
}
