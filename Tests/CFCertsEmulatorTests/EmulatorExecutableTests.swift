import AsyncHTTPClient
import CFCertsTestSupport
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `cfcerts-emulator` executable, run as a user would run it.
@Suite("cfcerts-emulator executable")
struct EmulatorExecutableTests {
    /// Built next to the test bundle by `swift build --build-tests`; `CFCERTS_EMULATOR_BIN` overrides.
    static var executable: String {
        if let override = ProcessInfo.processInfo.environment["CFCERTS_EMULATOR_BIN"] { return override }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("cfcerts-emulator").path
    }

    /// A running emulator process and the base URL from its first line of output.
    final class Process_ {
        let process = Process()
        let output = Pipe()
        var baseURL = ""
        var banner: [String] = []

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: EmulatorExecutableTests.executable)
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            let handle = output.fileHandleForReading
            while !text.contains("controls:") {
                let data = handle.availableData
                guard !data.isEmpty else { break }
                text += String(decoding: data, as: UTF8.self)
            }
            banner = text.split(separator: "\n").map(String.init)
            baseURL = banner.first ?? ""
        }

        func signal(_ signal: Int32) -> Int32 {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    @Test("--port 0 prints the base URL first; SIGTERM shuts down cleanly")
    func portZeroAndSigterm() async throws {
        let emulator = try Process_(["--port", "0", "--ca-key", "p256"])
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

        let first = try Process_(["--port", "0", "--ca-key", "p256", "--state", state])
        var ids: [String] = []
        for _ in 0..<5 {
            let reply = try await Self.create(base: first.baseURL, zone: zone, csr: csr)
            ids.append(try #require(reply["id"] as? String))
        }
        _ = first.signal(SIGKILL)

        let second = try Process_(["--port", "0", "--state", state])
        defer { _ = second.signal(SIGTERM) }
        for id in ids {
            let status = try await Self.get(second.baseURL + "/zones/\(zone)/client_certificates/\(id)",
                                            headers: EmulatorHarness.bearer)
            #expect(status == 200)
        }
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
