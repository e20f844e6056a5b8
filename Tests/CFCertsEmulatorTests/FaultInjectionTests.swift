import AsyncHTTPClient
import CFCertsTestSupport
import Foundation
import Testing

@Suite("Fault injection")
struct FaultInjectionTests {
    @Test("status: the next N matching requests get the status and an error envelope, then service resumes")
    func status() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.arm(["kind": "status", "status": 503, "count": 2, "method": "GET",
                                    "path": "/client/v4/zones/*/client_certificates",
                                    "headers": ["x-should-retry": "true"]])
            let path = EmulatorHarness.certificatesPath(zone)
            for _ in 0..<2 {
                let reply = try await emulator.send(.GET, path)
                #expect(reply.status == 503)
                #expect(reply.success == false)
                #expect(reply.errorCode == 1099)
                #expect(reply.headers["x-should-retry"].first == "true")
                #expect(reply.headers["cf-ray"].isEmpty == false)
            }
            #expect(try await emulator.send(.GET, path).status == 200)
            #expect(try await emulator.requests().map { $0["status"] as? Int } == [503, 503, 200])
        }
    }

    @Test("faults match on method and path; others pass")
    func matching() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.arm(["kind": "status", "status": 500, "method": "POST"])
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone)).status == 200)
            try await emulator.arm(["kind": "status", "status": 500, "path": "/client/v4/zones/*/client_certificates/*"])
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone)).status == 200)
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone, "x")).status == 500)
            let armed = try await emulator.send(.GET, "/__emulator/faults", headers: [:]).json?["faults"] as? [Any]
            #expect(armed?.count == 1)  // the POST fault is still waiting
            _ = try await emulator.send(.DELETE, "/__emulator/faults", headers: [:])
            #expect((try await emulator.send(.GET, "/__emulator/faults", headers: [:]).json?["faults"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("rate_limit: 429 with Retry-After and code 971")
    func rateLimit() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.arm(["kind": "rate_limit", "retry_after": 7])
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()))
            #expect(reply.status == 429)
            #expect(reply.headers["Retry-After"].first == "7")
            #expect(reply.errorCode == 971)
        }
    }

    @Test("delay: the request is served after the delay")
    func delay() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.arm(["kind": "delay", "delay_ms": 400])
            let clock = ContinuousClock()
            let start = clock.now
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()))
            #expect(clock.now - start >= .milliseconds(400))
            #expect(reply.status == 200)
        }
    }

    @Test("html: a proxy's HTML error page, not JSON")
    func html() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.arm(["kind": "html", "status": 502])
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()))
            #expect(reply.status == 502)
            #expect(reply.headers["Content-Type"].first == "text/html")
            #expect(reply.text.contains("502 Bad Gateway"))
            #expect(reply.json == nil)
        }
    }

    @Test("truncated: HTTP 200 with JSON cut off")
    func truncated() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.arm(["kind": "truncated"])
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()))
            #expect(reply.status == 200)
            #expect(reply.text.hasPrefix("{"))
            #expect(reply.json == nil)
        }
    }

    @Test("success_false: HTTP 200 whose envelope says success false")
    func successFalse() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.arm(["kind": "success_false", "code": 1234, "message": "nope"])
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()))
            #expect(reply.status == 200)
            #expect(reply.success == false)
            #expect(reply.errorCode == 1234)
            #expect(reply.json?.keys.contains("result") == true)
        }
    }

    @Test("drop: the connection closes without a response, and the request is still logged")
    func drop() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.arm(["kind": "drop", "method": "POST"])
            await #expect(throws: (any Error).self) {
                _ = try await emulator.create(zone: EmulatorHarness.newZone(), csr: "irrelevant")
            }
            #expect(try await emulator.requests().map { $0["status"] as? Int } == [0])
        }
    }

    @Test("a faulted create mints nothing")
    func faultedCreateMintsNothing() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.arm(["kind": "status", "status": 500, "method": "POST"])
            let reply = try await emulator.create(zone: zone, csr: try await OpenSSL.makeCSR(key: "ec:prime256v1"))
            #expect(reply.status == 500)
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone)).resultInfo?["total_count"] as? Int == 0)
        }
    }

    @Test("a malformed fault is refused with the list of kinds")
    func malformedFault() async throws {
        try await EmulatorHarness.with { emulator in
            let reply = try await emulator.send(.POST, "/__emulator/faults", headers: [:], json: ["kind": "explode"])
            #expect(reply.status == 400)
            #expect((reply.json?["error"] as? String)?.contains("success_false") == true)
        }
    }
}
