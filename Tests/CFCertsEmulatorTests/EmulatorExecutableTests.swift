import AsyncHTTPClient
import CFCertsTestSupport
import Foundation
import NIOCore
import Testing

/// The `cfcerts-emulator` executable, run as a user would run it.
@Suite("cfcerts-emulator executable")
struct EmulatorExecutableTests {
    @Test("--port 0 prints the base URL first; SIGTERM shuts down cleanly")
    func portZeroAndSigterm() async throws {
        let emulator = try EmulatorProcess(["--port", "0", "--ca-key", "p256"])
        #expect(emulator.baseURL.hasPrefix("http://127.0.0.1:"))
        #expect(emulator.baseURL.hasSuffix("/client/v4"))
        #expect(emulator.banner.contains("token: cfcerts-emulator-token"))
        let status = try await Self.get(emulator.baseURL.replacingOccurrences(of: "/client/v4", with: "/__emulator/health"))
        #expect(status == 200)
        #expect(emulator.signal(SIGTERM) == 0)
    }

    @Test("a SIGKILL right after a create loses no acknowledged certificate")
    func killKeepsAcknowledgedCertificates() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.json").path
        let zone = EmulatorHarness.newZone()
        let csr = try await OpenSSL.makeCSR(key: "ec:prime256v1")

        let first = try EmulatorProcess(["--port", "0", "--ca-key", "p256", "--state", state])
        var ids: [String] = []
        for _ in 0..<5 {
            let reply = try await Self.create(base: first.baseURL, zone: zone, csr: csr)
            ids.append(try #require(reply["id"] as? String))
        }
        _ = first.signal(SIGKILL)

        let second = try EmulatorProcess(["--port", "0", "--state", state])
        defer { _ = second.signal(SIGTERM) }
        for id in ids {
            let status = try await Self.get(second.baseURL + "/zones/\(zone)/client_certificates/\(id)",
                                            headers: EmulatorHarness.bearer)
            #expect(status == 200)
        }
    }

    @Test("out-of-range flags are usage errors (exit 64) with a message, never a crash", arguments: [
        ["--transition-delay", "1e300"], ["--transition-delay", "-1"], ["--transition-delay", "nan"],
        ["--rate-limit", "1/9223372036854775807"], ["--rate-limit", "0/10"], ["--rate-limit", "99999999999999999999/1"],
        ["--port", "70000"], ["--port", "-1"],
        // Credentials the emulator's own authentication would refuse: never accepted at start.
        ["--api-key", ":"], ["--api-key", ":key"], ["--api-key", "e@x.example:abc-def"], ["--api-key", "nocolon"],
        ["--token", "has space"],
    ])
    func outOfRangeFlags(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EmulatorProcess.executable)
        process.arguments = ["--port", "0"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 64, "\(message)")
        #expect(message.contains(arguments[0]), "\(message)")
    }

    @Test("--help documents --allow-remote-controls")
    func remoteControlsFlag() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EmulatorProcess.executable)
        process.arguments = ["--help"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let help = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(help.contains("--allow-remote-controls"))
    }

    static func get(_ url: String, headers: [String: String] = [:]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        headers.forEach { request.headers.add(name: $0, value: $1) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return Int(response.status.code)
    }

    static func create(base: String, zone: String, csr: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + "/zones/\(zone)/client_certificates")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(EmulatorHarness.token)")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["csr": csr, "validity_days": 30])))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        return json?["result"] as? [String: Any] ?? [:]
    }
}
