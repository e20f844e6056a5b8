import CFCerts
import CFCertsEmulator
import Foundation
import Testing

@Suite("Timeouts bound the whole exchange and the whole call")
struct DeadlineTests {
    @Test("headers then a stalled body: the request timeout still ends the attempt")
    func stalledBody() async throws {
        try await CoreHarness.with(client: { $0.requestTimeout = .milliseconds(500); $0.maxRetries = 0 }) { harness in
            // 200, a Content-Length, half the body, then 30 s of silence.
            try harness.emulator.arm(.init(kind: .stall, method: "GET", delayMs: 60_000))
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: "x")
            }
            #expect(error?.kind == .timeout)
            // 0.5 s; the bounds here leave room for a loaded machine or a busy pool, far below the server's stall.
            #expect(clock.now - start < .seconds(15))
        }
    }

    @Test("a stalled body is retried like any timeout, each attempt bounded")
    func stalledThenServed() async throws {
        // 10 s an attempt: far below the 120 s stall, and room for the served attempt on a loaded machine (with every
        // suite in one process 2 s ran out, and under ThreadSanitizer with a CI run beside it, 5 s).
        try await CoreHarness.with(client: { $0.requestTimeout = .seconds(10) }) { harness in
            let created = try await harness.createCertificate()
            try harness.emulator.arm(.init(kind: .stall, method: "GET", count: 2, delayMs: 120_000))
            let clock = ContinuousClock()
            let start = clock.now
            let certificate = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: created.id)
            #expect(certificate.id == created.id)
            #expect(clock.now - start < .seconds(60))
            #expect(harness.requests.suffix(3).map(\.method) == ["GET", "GET", "GET"])
        }
    }

    @Test("totalTimeout bounds a call across its retries")
    func totalTimeout() async throws {
        try await CoreHarness.with(client: {
            $0.requestTimeout = .seconds(30)
            $0.totalTimeout = .milliseconds(800)
            $0.maxRetries = 10
        }) { harness in
            try harness.emulator.arm(.init(kind: .stall, method: "GET", count: 20, delayMs: 30_000))
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .timeout)
            #expect(error?.message.contains("total timeout") == true)
            #expect(clock.now - start < .seconds(15))
        }
    }

    @Test("a wait the server asks for that would outlast totalTimeout is not started")
    func waitBeyondTotal() async throws {
        // 45 s is within maxRetryAfter, so only the deadline check stops the wait. Started, the call would sleep the
        // 45 s and end as a `.timeout`, not with the server's 429 at once. The time bound is half the budget: loose
        // enough for a loaded machine's first connection.
        try await CoreHarness.with(client: { $0.totalTimeout = .seconds(20) }) { harness in
            try harness.emulator.arm(.init(kind: .rateLimit, method: "GET", retryAfter: 45))
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .rateLimited)
            #expect(clock.now - start < .seconds(10))
            #expect(harness.requests.count == 1)
        }
    }

    @Test("worstCaseCallTime states the bound: 360 s with the defaults (60 s of it pacing), lowered by totalTimeout")
    func worstCase() {
        var configuration = Configuration(credentials: .apiToken("t"))
        #expect(configuration.worstCaseCallTime == .seconds(360))
        configuration.pacing = .off
        #expect(configuration.worstCaseCallTime == .seconds(300))
        configuration.totalTimeout = .seconds(10)
        #expect(configuration.worstCaseCallTime == .seconds(10))
    }
}
