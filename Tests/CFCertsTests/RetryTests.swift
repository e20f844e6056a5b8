import CFCerts
import CFCertsEmulator
import Foundation
import Testing

@Suite("Retries")
struct RetryTests {
    static let listPath = "/client/v4/zones/*/client_certificates"

    @Test("503 twice then success: 3 requests and a result")
    func retriesServerErrors() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .status, method: "GET", path: Self.listPath, count: 2, status: 503))
            let page = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(page.certificates.isEmpty)
            #expect(harness.requests.map(\.status) == [503, 503, 200])
        }
    }

    @Test("408, 409, 429 and 5xx are retried for a get", arguments: [408, 409, 429, 500, 502, 504])
    func retryableStatuses(status: Int) async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .status, method: "GET", count: 1, status: status))
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(harness.requests.map(\.status) == [status, 200])
        }
    }

    @Test("400, 403 and 404 are not retried")
    func finalStatuses() async throws {
        try await CoreHarness.with { harness in
            for status in [400, 403, 404] {
                harness.emulator.clearReceivedRequests()
                try harness.emulator.arm(.init(kind: .status, method: "GET", count: 1, status: status))
                await #expect(throws: CFCertsError.self) { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
                #expect(harness.requests.count == 1)
            }
        }
    }

    @Test("after max retries the last error is thrown")
    func exhaustsRetries() async throws {
        try await CoreHarness.with(client: { $0.maxRetries = 3 }) { harness in
            try harness.emulator.arm(.init(kind: .status, method: "GET", count: 10, status: 500))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .api)
            #expect(error?.httpStatus == 500)
            #expect(harness.requests.count == 4)
        }
    }

    @Test("429 with Retry-After: 1 waits at least a second")
    func honoursRetryAfter() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .rateLimit, method: "GET", count: 1, retryAfter: 1))
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(clock.now - start >= .seconds(1))
            #expect(harness.requests.map(\.status) == [429, 200])
        }
    }

    @Test("Retry-After-Ms is honoured; a Retry-After over the cap ends the call as rate limited")
    func retryAfterVariants() async throws {
        try await CoreHarness.with(client: { $0.maxRetryAfter = .seconds(5) }) { harness in
            try harness.emulator.arm(.init(kind: .status, method: "GET", count: 1, status: 503, headers: ["retry-after-ms": "300"]))
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(clock.now - start >= .milliseconds(300))

            harness.emulator.clearReceivedRequests()
            try harness.emulator.arm(.init(kind: .rateLimit, method: "GET", count: 1, retryAfter: 3600))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.retryAfter == .seconds(3600))
            #expect(harness.requests.count == 1)
        }
    }

    @Test("create meeting a 500 is not retried: it may have been processed")
    func createNotRetriedOnServerError() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .status, method: "POST", count: 1, status: 500))
            await #expect(throws: CFCertsError.self) { _ = try await harness.createCertificate() }
            #expect(harness.requests.count == 1)
        }
    }

    @Test("create is retried on 429 and on x-should-retry: true, and mints exactly one certificate")
    func createRetriedWhenSafe() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .rateLimit, method: "POST", count: 1, retryAfter: 0))
            try harness.emulator.arm(.init(kind: .status, method: "POST", count: 1, status: 500, headers: ["x-should-retry": "true"]))
            _ = try await harness.createCertificate()
            #expect(harness.requests.map(\.status) == [429, 500, 200])
            #expect(try await harness.client.clientCertificates.listPage(zoneID: harness.zone).certificates.count == 1)
        }
    }

    @Test("create meeting a dropped connection is not retried")
    func createNotRetriedOnDrop() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .drop, method: "POST", count: 1))
            let error = await #expect(throws: CFCertsError.self) { _ = try await harness.createCertificate() }
            #expect(error?.kind == .connection)
            #expect(harness.requests.count == 1)
        }
    }

    @Test("a get meeting a dropped connection is retried")
    func getRetriedOnDrop() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .drop, method: "GET", count: 1))
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(harness.requests.map(\.status) == [0, 200])
        }
    }

    @Test("x-should-retry: false stops retries")
    func shouldRetryFalse() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .status, method: "GET", count: 5, status: 503, headers: ["x-should-retry": "false"]))
            await #expect(throws: CFCertsError.self) { _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone) }
            #expect(harness.requests.count == 1)
        }
    }

    @Test("connection refused ends as a connection error after max retries")
    func connectionRefused() async throws {
        // A port that was just free: nothing listens there.
        let running = try await EmulatorServer(emulator: try Emulator(configuration: {
            var configuration = EmulatorConfiguration()
            configuration.caKeyType = .p256
            return configuration
        }())).start()
        let baseURL = running.baseURL
        await running.stop()

        var configuration = Configuration(credentials: .apiToken("t0ken"), baseURL: baseURL)
        configuration.initialBackoff = .milliseconds(10)
        configuration.maxRetries = 2
        let logs = CapturedLogs()
        configuration.logger = logs.logger
        let client = try CFCertsClient(configuration: configuration)
        let error = await #expect(throws: CFCertsError.self) {
            _ = try await client.clientCertificates.listPage(zoneID: CoreHarness.newZone())
        }
        try await client.shutdown()
        #expect(error?.kind == .connection)
        #expect(logs.all.filter { $0.contains("request GET") }.count == 3)
    }

    @Test("a delay longer than the timeout ends as a timeout error within the bound")
    func timeout() async throws {
        try await CoreHarness.with(client: {
            $0.requestTimeout = .milliseconds(500)
            $0.maxRetries = 1
        }) { harness in
            try harness.emulator.arm(.init(kind: .delay, method: "GET", count: 5, delayMs: 60_000))
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .timeout)
            // Two attempts of 0.5 s and one short backoff: far below the server's 60 s. The bound leaves room for a
            // loaded machine, or other suites keeping Swift's pool busy (plain `swift test`).
            #expect(clock.now - start < .seconds(20))
            #expect(clock.now - start >= .seconds(1))
        }
    }

    @Test("cancelling the task ends a backoff sleep at once")
    func cancelledBackoff() async throws {
        try await CoreHarness.with { harness in
            // The server asks for 30 s before a retry; the cancellation must not wait for them.
            try harness.emulator.arm(.init(kind: .status, method: "GET", count: 5, status: 503, headers: ["retry-after": "30"]))
            let client = harness.client
            let zone = harness.zone
            let task = Task { try await client.clientCertificates.listPage(zoneID: zone) }
            while harness.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            let clock = ContinuousClock()
            let start = clock.now
            task.cancel()
            let result = await task.result
            #expect(clock.now - start < .seconds(15))
            #expect(throws: CFCertsError(kind: .cancelled, message: "")) { _ = try result.get() }
            #expect(harness.requests.count == 1)
        }
    }
}
