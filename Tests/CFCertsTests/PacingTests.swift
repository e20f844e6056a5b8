import CFCerts
import CFCertsEmulator
import Foundation
import Testing

@Suite("Pacing: the credential's request budget")
struct PacingTests {
    @Test("a burst of 300 calls from 8 tasks against a 100 / 10 s budget draws no 429")
    func burstWithinBudget() async throws {
        try await CoreHarness.with(emulator: { $0.rateLimit = RateLimitPolicy(limit: 100, window: .seconds(10)) }) { harness in
            let client = harness.client, zone = harness.zone
            let failures = await withTaskGroup(of: [String].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var failures: [String] = []
                        for call in stride(from: worker, to: 300, by: 8) {
                            do {
                                _ = try await client.clientCertificates.listPage(zoneID: zone, page: 1, perPage: 5)
                            } catch {
                                failures.append("call \(call): \(error)")
                            }
                        }
                        return failures
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            #expect(failures == [])
            let statuses = harness.requests.map(\.status)
            #expect(statuses.count == 300)
            #expect(statuses.filter { $0 == 429 }.count == 0)
        }
    }

    @Test("when the budget returns after the call's deadline, the call fails at once as rate limited, unsent")
    func waitPastDeadline() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = RateLimitPolicy(limit: 5, window: .seconds(300)) },
            client: { $0.totalTimeout = .seconds(30) }
        ) { harness in
            for _ in 0..<5 { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
            let started = ContinuousClock.now
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            // Not after waiting out the deadline: at once (the bound is loose for a loaded machine).
            #expect(ContinuousClock.now - started < .seconds(15))
            #expect(error?.kind == .rateLimited)
            #expect(error?.httpStatus == nil)
            #expect((error?.retryAfter ?? .zero) > .seconds(200))
            #expect(error?.message.contains("pacing") == true)
            #expect(harness.requests.count == 5)
        }
    }

    @Test("one budget per credential, shared by every client of the process")
    func sharedBetweenClients() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = nil },
            client: {
                $0.pacing = .budget(requests: 3, per: .seconds(300))
                $0.totalTimeout = .seconds(30)
            }
        ) { harness in
            for _ in 0..<3 { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
            let other = try CFCertsClient(configuration: harness.client.configuration)
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await other.clientCertificates.listPage(zoneID: harness.zone)
            }
            try await other.shutdown()
            #expect(error?.kind == .rateLimited)
            #expect(harness.requests.count == 3)
        }
    }

    @Test("cancelling the task ends a wait for budget at once")
    func cancelWhileWaiting() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = nil },
            client: { $0.pacing = .budget(requests: 1, per: .seconds(40)) }
        ) { harness in
            let client = harness.client, zone = harness.zone
            _ = try await client.clientCertificates.listPage(zoneID: zone)
            let waiting = Task { try await client.clientCertificates.listPage(zoneID: zone) }
            try await Task.sleep(for: .milliseconds(300))
            let cancelled = ContinuousClock.now
            waiting.cancel()
            let result = await waiting.result
            #expect(ContinuousClock.now - cancelled < .seconds(5))
            guard case .failure(let error) = result else {
                Issue.record("the call waiting for budget was not ended")
                return
            }
            #expect((error as? CFCertsError)?.kind == .cancelled)
            #expect(harness.requests.count == 1)
        }
    }

    @Test("off: calls are sent at once and the server's 429 comes back")
    func off() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = RateLimitPolicy(limit: 2, window: .seconds(30)) },
            client: {
                $0.pacing = .off
                $0.maxRetries = 0
            }
        ) { harness in
            for _ in 0..<2 { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.httpStatus == 429)
        }
    }

    @Test("a 429 without Ratelimit headers is the retry policy's: it spends no budget", arguments: [2, 86_400])
    func rateLimitWithoutHeaders(retryAfter: Int) async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = nil },
            client: {
                $0.maxRetries = 0
                $0.totalTimeout = .seconds(60)
            }
        ) { harness in
            try harness.emulator.arm(.init(kind: .rateLimit, method: "GET", retryAfter: retryAfter))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.httpStatus == 429)
            // The next call is sent at once, not refused for the rest of a window (or a day).
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(harness.requests.count == 2)
        }
    }

    @Test("a 429 without Ratelimit headers is retried after its Retry-After, and the retry is sent")
    func rateLimitWithoutHeadersRetried() async throws {
        try await CoreHarness.with(emulator: { $0.rateLimit = nil }, client: { $0.totalTimeout = .seconds(60) }) { harness in
            try harness.emulator.arm(.init(kind: .rateLimit, method: "GET", retryAfter: 1))
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(harness.requests.map(\.status) == [429, 200])
        }
    }

    @Test("headers that declare the budget spent hold it only as long as they say, whatever Retry-After asks")
    func spentOnlyAsLongAsTheHeadersSay() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = nil },
            client: {
                $0.maxRetries = 0
                $0.totalTimeout = .seconds(60)
            }
        ) { harness in
            try harness.emulator.arm(.init(kind: .rateLimit, method: "GET", retryAfter: 86_400,
                                           headers: ["Ratelimit": "\"default\";r=0;t=2"]))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.httpStatus == 429)
            // Waits the 2 s the headers named (within the 60 s deadline), then is sent.
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(harness.requests.count == 2)
        }
    }

    @Test("a configured budget is a ceiling: the server's larger figures do not raise it")
    func configuredBudgetIsACeiling() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = RateLimitPolicy(limit: 1_000_000, window: .seconds(300)) },
            client: {
                $0.pacing = .budget(requests: 3, per: .seconds(300))
                $0.totalTimeout = .seconds(30)
            }
        ) { harness in
            for _ in 0..<3 { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.httpStatus == nil)
            #expect(error?.message.contains("pacing") == true)
            #expect(harness.requests.count == 3)
        }
    }

    @Test("a first client's ceiling is its own: a later client of the credential with none is not held to it")
    func aCeilingIsOneClients() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = nil },  // no Ratelimit headers (a proxy, say): the starting figures stay
            client: {
                $0.pacing = .budget(requests: 2, per: .seconds(300))
                $0.totalTimeout = .seconds(30)
            }
        ) { harness in
            for _ in 0..<2 { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
            var configuration = harness.client.configuration
            configuration.pacing = .cloudflare
            let unbounded = try CFCertsClient(configuration: configuration)
            defer { Task { try? await unbounded.shutdown() } }
            for _ in 0..<5 { _ = try await unbounded.clientCertificates.listPage(zoneID: harness.zone) }
            #expect(harness.requests.count == 7)
            await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
        }
    }

    @Test("the server's smaller figures lower a configured budget")
    func serverLowersAConfiguredBudget() async throws {
        try await CoreHarness.with(
            emulator: { $0.rateLimit = RateLimitPolicy(limit: 2, window: .seconds(300)) },
            client: {
                $0.pacing = .budget(requests: 50, per: .seconds(300))
                $0.totalTimeout = .seconds(30)
            }
        ) { harness in
            for _ in 0..<2 { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.httpStatus == nil)
            #expect(harness.requests.count == 2)
        }
    }

    @Test("a budget out of range is refused when the client is made")
    func validation() throws {
        for pacing in [Pacing.budget(requests: 0, per: .seconds(10)), .budget(requests: 10, per: .zero),
                       .budget(requests: 10, per: .seconds(86_401)), .budget(requests: -5, per: .seconds(1))] {
            var configuration = Configuration(credentials: .apiToken("token"), baseURL: "http://127.0.0.1:1")
            configuration.pacing = pacing
            #expect(throws: CFCertsError.self) { _ = try CFCertsClient(configuration: configuration) }
        }
        #expect(try Pacing(parsing: "1200/300") == .budget(requests: 1200, per: .seconds(300)))
        #expect(try Pacing(parsing: "1200/300") != .cloudflare)  // a ceiling, not the starting budget
        #expect(try Pacing(parsing: "off") == .off)
        #expect(try Pacing(parsing: "1000000000/86400").requests == 1_000_000_000)
        for text in ["", "1200", "0/300", "1200/0", "a/b", "1200/300/1", "99999999999999999999/1", "-1/5", "+5/10",
                     "5/+10", " 5/10", "5/10 ", "1000000001/1", "1/86401", "\u{0665}/10", "OFF"] {
            let error = #expect(throws: CFCertsError.self, "\(text)") { _ = try Pacing(parsing: text) }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message == Pacing.rule)
        }
    }
}

