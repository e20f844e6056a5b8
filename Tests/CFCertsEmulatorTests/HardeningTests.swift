@testable import CFCertsEmulator
import AsyncHTTPClient
import CFCertsTestSupport
import NIOCore
import NIOHTTP1
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Emulator: out-of-range numbers, exposure, files")
struct HardeningTests {
    @Test("every out-of-range number in a fault is a 400 naming the field; the emulator keeps serving", arguments: [
        (["kind": "status", "status": 1000], "status"), (["kind": "html", "status": 99], "status"),
        (["kind": "status", "status": -1], "status"), (["kind": "status", "count": 0], "count"),
        (["kind": "status", "count": 1_000_000_000_000], "count"), (["kind": "delay", "delay_ms": -1], "delay_ms"),
        (["kind": "delay", "delay_ms": 1_000_000_000_000], "delay_ms"), (["kind": "rate_limit", "retry_after": -5], "retry_after"),
        (["kind": "rate_limit", "retry_after": 1_000_000_000], "retry_after"),
        (["kind": "status", "headers": ["bad name": "x"]], "headers"), (["kind": "status", "headers": ["x-a": "1\r\nx-b: 2"]], "headers"),
        (["kind": "status", "count": 1e300], "fault object"),
    ] as [([String: any Sendable], String)])
    func faultRanges(fault: [String: any Sendable], field: String) async throws {
        try await EmulatorHarness.with { emulator in
            let reply = try await emulator.send(.POST, "/__emulator/faults", headers: [:], json: fault)
            #expect(reply.status == 400)
            #expect((reply.json?["error"] as? String)?.contains(field) == true, "\(reply.text)")
            let armed = try await emulator.send(.GET, "/__emulator/faults", headers: [:]).json?["faults"] as? [Any]
            #expect(armed?.isEmpty == true)
            #expect(try await emulator.send(.GET, "/__emulator/health", headers: [:]).status == 200)
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone())).status == 200)
        }
    }

    @Test("the same checks for faults armed in-process")
    func inProcessArm() throws {
        let emulator = try Emulator(configuration: { var c = EmulatorConfiguration(); c.caKeyType = .p256; return c }())
        #expect(throws: ControlError.self) { try emulator.arm(Fault(kind: .status, status: 1000)) }
        #expect(throws: ControlError.self) { try emulator.arm(Fault(kind: .delay, delayMs: Int.max)) }
        #expect(emulator.faults.armed.isEmpty)
    }

    @Test("seed requests: count, prefix, status and validity are bounded", arguments: [
        ["count": 0], ["count": 1_000_001], ["count": 1e20], ["count": 5, "common_name_prefix": String(repeating: "p", count: 65)],
        ["count": 5, "common_name_prefix": "a\nb"], ["count": 5, "common_name_prefix": ""], ["count": 5, "validity_days": 0],
        ["count": 5, "validity_days": 1_000_000_000], ["count": 5, "status": "bogus"],
    ] as [[String: any Sendable]])
    func seedLimits(body: [String: any Sendable]) async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            let reply = try await emulator.send(.POST, "/__emulator/zones/\(zone)/seed", headers: [:], json: body)
            #expect(reply.status == 400, "\(reply.text)")
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone)).resultInfo?["total_count"] as? Int == 0)
        }
    }

    @Test("seeding fills a zone up to its limit (1,000,000 by default), however many calls")
    func seedTotal() async throws {
        #expect(EmulatorConfiguration().maxCertificatesPerZone == 1_000_000)
        try await EmulatorHarness.with({ $0.maxCertificatesPerZone = 10 }) { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.seed(zone: zone, count: 6)
            try await emulator.seed(zone: zone, count: 4)
            let more = try await emulator.send(.POST, "/__emulator/zones/\(zone)/seed", headers: [:], json: ["count": 1])
            #expect(more.status == 400)
        }
    }

    @Test("a deeply nested control body is refused, not recursed into")
    func deepNesting() async throws {
        try await EmulatorHarness.with { emulator in
            let deep = Array(String(repeating: "[", count: 60_000).utf8)
            #expect(try await emulator.send(.POST, "/__emulator/faults", headers: [:], body: deep).status == 400)
            let zone = EmulatorHarness.newZone()
            let create = try await emulator.send(.POST, EmulatorHarness.certificatesPath(zone), body: deep)
            #expect(create.status == 400)
            #expect(create.errorCode == 1001)
        }
    }

    @Test("configurations out of range are refused, not trapped on", arguments: [
        "transition delay over a year", "negative transition delay", "rate limit of 0", "rate-limit window of Int64.max seconds",
        "rate-limit window of 0", "port 70000",
    ])
    func configurationRanges(name: String) {
        var configuration = EmulatorConfiguration()
        configuration.caKeyType = .p256
        switch name {
        case "transition delay over a year": configuration.transitionDelay = .seconds(400 * 86_400)
        case "negative transition delay": configuration.transitionDelay = .seconds(-1)
        case "rate limit of 0": configuration.rateLimit = RateLimitPolicy(limit: 0, window: .seconds(1))
        case "rate-limit window of Int64.max seconds": configuration.rateLimit = RateLimitPolicy(limit: 1, window: .seconds(Int64.max))
        case "rate-limit window of 0": configuration.rateLimit = RateLimitPolicy(limit: 1, window: .zero)
        default: configuration.port = 70_000
        }
        #expect(throws: EmulatorConfiguration.Invalid.self) { _ = try Emulator(configuration: configuration) }
    }

    @Test("controls refuse what a web page could send: any Origin, or a change without Content-Type: application/json")
    func crossSiteControls() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.seed(zone: zone, count: 3)
            func control(_ method: HTTPMethod, _ path: String, _ headers: [(String, String)]) async throws -> Int {
                var request = HTTPClientRequest(url: emulator.running.rootURL + path)
                request.method = method
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                request.body = .bytes(ByteBuffer(string: "{}"))
                return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code)
            }
            // What a form or a no-preflight fetch from any page can send.
            #expect(try await control(.POST, "/__emulator/reset", [("Content-Type", "text/plain")]) == 403)
            #expect(try await control(.POST, "/__emulator/reset", [("Content-Type", "application/x-www-form-urlencoded")]) == 403)
            #expect(try await control(.POST, "/__emulator/reset", []) == 403)
            #expect(try await control(.POST, "/__emulator/reset",
                                      [("Content-Type", "application/json"), ("Origin", "http://evil.example")]) == 403)
            #expect(try await control(.GET, "/__emulator/requests", [("Origin", "http://127.0.0.1:1")]) == 403)
            let listed = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone))
            #expect((listed.json?["result"] as? [Any])?.count == 3, "nothing was reset")
            #expect(try await control(.POST, "/__emulator/reset", [("Content-Type", "application/json; charset=utf-8")]) == 200)
        }
    }

    @Test("controls answer 403 on a non-loopback host unless allowed; the API still answers")
    func remoteControls() async throws {
        #expect(EmulatorConfiguration.isLoopback("127.0.0.1") && EmulatorConfiguration.isLoopback("::1")
                && EmulatorConfiguration.isLoopback("localhost") && EmulatorConfiguration.isLoopback("127.8.9.10"))
        #expect(!EmulatorConfiguration.isLoopback("0.0.0.0") && !EmulatorConfiguration.isLoopback("::")
                && !EmulatorConfiguration.isLoopback("192.0.2.1") && !EmulatorConfiguration.isLoopback("127.0.0.1.example"))
        for allowed in [false, true] {
            var configuration = EmulatorConfiguration()
            configuration.caKeyType = .p256
            configuration.host = "0.0.0.0"
            configuration.allowRemoteControls = allowed
            // The router alone, with no socket: nothing listens on 0.0.0.0.
            let app = EmulatorServer(emulator: try Emulator(configuration: configuration)).application { _ in }
            try await app.test(.router) { client in
                for (method, path) in [(HTTPRequest.Method.get, "/__emulator/health"), (.post, "/__emulator/reset"),
                                       (.get, "/__emulator/requests")] {
                    try await client.execute(uri: path, method: method, headers: [.contentType: "application/json"]) { response in
                        #expect(response.status == (allowed ? .ok : .forbidden), "\(path)")
                    }
                }
                try await client.execute(uri: "/client/v4/zones/0123456789abcdef0123456789abcdef/client_certificates", method: .get,
                                         headers: [.authorization: "Bearer \(EmulatorConfiguration.defaultToken)"]) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("the state database is created new and private, and never through a planted link")
    func stateDatabaseCreation() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let statePath = directory.appendingPathComponent("state.db").path
        try await EmulatorHarness.with({ $0.statePath = statePath }) { emulator in
            try await emulator.seed(zone: EmulatorHarness.newZone(), count: 2)
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(file).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file)")  // the -wal and -shm files hold the CA key's pages too
        }
        // A link planted where the database would be: refused, its target never written.
        let victim = directory.appendingPathComponent("victim.txt")
        try "untouched".write(to: victim, atomically: true, encoding: .utf8)
        let planted = directory.appendingPathComponent("planted.db").path
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim.path)
        var configuration = EmulatorConfiguration()
        configuration.statePath = planted
        let error = #expect(throws: EmulatorConfiguration.Invalid.self) { _ = try Emulator(configuration: configuration) }
        #expect(error?.description.contains(planted) == true)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "untouched")
    }

    @Test("a request whose client goes away mid-body is logged 499 and carries nothing out (not a 500)")
    func clientClosedRequest() async throws {
        try await EmulatorHarness.with { harness in
            let zone = EmulatorHarness.newZone()
            let port = try #require(harness.running.rootURL.split(separator: ":").last.flatMap { Int($0) })
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(descriptor >= 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            let head = "POST /client/v4/zones/\(zone)/client_certificates HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                "Authorization: Bearer \(EmulatorHarness.token)\r\nContent-Type: application/json\r\n" +
                "Content-Length: 4000\r\n\r\n{\"csr\": \"-----BEGIN CERTIFICATE REQUEST-----"
            _ = head.withCString { send(descriptor, $0, strlen($0), 0) }
            try await Task.sleep(for: .milliseconds(200))
            close(descriptor)
            var logged: [[String: Any]] = []
            for _ in 0..<50 where logged.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                logged = try await harness.requests().filter { ($0["method"] as? String) == "POST" }
            }
            #expect(logged.map { $0["status"] as? Int } == [499])
            let listed = try await harness.send(.GET, EmulatorHarness.certificatesPath(zone))
            #expect(listed.status == 200 && listed.results.isEmpty)
        }
    }

    @Test("the request log is bounded in bytes, and long fields are cut")
    func requestLogBytes() {
        let log = RequestLog()
        let agent = String(repeating: "a", count: 100_000)
        for index in 0..<20_000 {
            log.append(.init(method: "GET", path: "/p/\(index)", query: String(repeating: "q", count: 2000), auth: "bearer",
                             status: 200, userAgent: agent, time: "t"))
        }
        let entries = log.all
        #expect(entries.allSatisfy { $0.userAgent.utf8.count == RequestLog.maxFieldBytes && $0.query.utf8.count == RequestLog.maxFieldBytes })
        #expect(entries.map(\.size).reduce(0, +) <= RequestLog.capacityBytes)
        #expect(entries.count < 20_000)
        #expect(entries.last?.path == "/p/19999")
    }
}
