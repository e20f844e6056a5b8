import CFCertsEmulator
import CFCertsTestSupport
import Foundation
import Testing

@Suite("--state: certificates and the CA survive restarts")
struct StateFileTests {
    @Test("in-process restart keeps certificates, statuses and the CA")
    func restartInProcess() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let statePath = directory.appendingPathComponent("state.json").path
        let zone = EmulatorHarness.newZone()
        let configure: (inout EmulatorConfiguration) -> Void = {
            $0.statePath = statePath
            $0.transitionDelay = .zero
        }
        let (id, caPEM, fingerprint) = try await EmulatorHarness.with(configure) { emulator in
            let created = try await emulator.create(zone: zone, csr: try await OpenSSL.makeCSR(key: "ec:prime256v1"))
            let id = try #require(created.result?["id"] as? String)
            _ = try await emulator.send(.DELETE, EmulatorHarness.certificatesPath(zone, id))
            try await emulator.seed(zone: zone, count: 3)
            let ca = try await emulator.send(.GET, "/__emulator/ca.pem", headers: [:]).text
            return (id, ca, created.result?["fingerprint_sha256"] as? String)
        }
        try await EmulatorHarness.with(configure) { emulator in
            #expect(try await emulator.send(.GET, "/__emulator/ca.pem", headers: [:]).text == caPEM)
            let fetched = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone, id))
            #expect(fetched.result?["status"] as? String == "revoked")
            #expect(fetched.result?["fingerprint_sha256"] as? String == fingerprint)
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone)).resultInfo?["total_count"] as? Int == 4)
        }
        #expect(!FileManager.default.fileExists(atPath: statePath + ".tmp"))
    }

    @Test("a change that cannot be saved is refused with 1500 and not kept")
    func unsavedChangeIsRefused() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        let statePath = directory.appendingPathComponent("state.json").path
        try await EmulatorHarness.with({ $0.statePath = statePath }) { emulator in
            let zone = EmulatorHarness.newZone()
            try FileManager.default.removeItem(at: directory)  // every later save fails
            let reply = try await emulator.create(zone: zone, csr: try await OpenSSL.makeCSR(key: "ec:prime256v1"))
            #expect(reply.status == 500)
            #expect(reply.errorCode == 1500)
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone)).resultInfo?["total_count"] as? Int == 0)
        }
    }
}
