import CFCertsEmulator
import CFCertsTestSupport
import Foundation
import Testing

@Suite("--state: certificates and the CA survive restarts")
struct StateDatabaseTests {
    @Test("in-process restart keeps certificates, statuses and the CA")
    func restartInProcess() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let statePath = directory.appendingPathComponent("state.db").path
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
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(Set(files).isSubset(of: ["state.db", "state.db-shm", "state.db-wal"]))
    }

    @Test("a state file others can read, or that belongs to someone else, is refused with a message")
    func untrustedStateFile() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let statePath = directory.appendingPathComponent("state.db").path
        var configuration = EmulatorConfiguration()
        configuration.caKeyType = .p256
        configuration.statePath = statePath
        try await EmulatorHarness.with({ $0.statePath = statePath }) { emulator in
            try await emulator.seed(zone: EmulatorHarness.newZone(), count: 1)
        }
        _ = try Emulator(configuration: configuration)  // its own 0600 file loads
        chmod(statePath, 0o644)
        #expect(throws: EmulatorConfiguration.Invalid.self) { _ = try Emulator(configuration: configuration) }
        chmod(statePath, 0o600)
        if geteuid() == 0 {  // as root (CI), a file of another user can be made
            chown(statePath, 1, 1)
            let error = #expect(throws: EmulatorConfiguration.Invalid.self) { _ = try Emulator(configuration: configuration) }
            #expect(error?.description.contains("belongs to user 1") == true)
        } else {
            // Not root: the same check seen from the other side, a file of root's.
            #expect(throws: EmulatorConfiguration.Invalid.self) {
                _ = try Emulator(configuration: { var other = configuration; other.statePath = "/etc/shadow"; return other }())
            }
        }
    }

    @Test("hostname associations survive a restart from --state, per zone and CA; reset forgets them there too")
    func associationsRestart() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let statePath = directory.appendingPathComponent("state.db").path
        let zone = EmulatorHarness.newZone()
        let byo = "b2134436-2555-4acf-be5b-26c48136575e"
        let path = "/client/v4/zones/\(zone)/certificate_authorities/hostname_associations"
        try await EmulatorHarness.with({ $0.statePath = statePath }) { (emulator: EmulatorHarness) async throws in
            #expect(try await emulator.send(.PUT, path, json: ["hostnames": ["a.example.com", "b.example.com"]]).status == 200)
            #expect(try await emulator.send(.PUT, path, json: ["hostnames": ["byo.example.com"], "mtls_certificate_id": byo]).status == 200)
            #expect(try await emulator.send(.PUT, path, json: ["hostnames": ["gone.example.com"], "mtls_certificate_id": byo.replacingOccurrences(of: "b2", with: "c3")]).status == 200)
            #expect(try await emulator.send(.PUT, path, json: ["hostnames": [], "mtls_certificate_id": byo.replacingOccurrences(of: "b2", with: "c3")]).status == 200)
        }
        try await EmulatorHarness.with({ $0.statePath = statePath }) { (emulator: EmulatorHarness) async throws in
            #expect(try await emulator.send(.GET, path).result?["hostnames"] as? [String] == ["a.example.com", "b.example.com"])
            #expect(try await emulator.send(.GET, path + "?mtls_certificate_id=\(byo)").result?["hostnames"] as? [String] == ["byo.example.com"])
            #expect(try await emulator.send(.GET, path + "?mtls_certificate_id=\(byo.replacingOccurrences(of: "b2", with: "c3"))").result?["hostnames"] as? [String] == [])
            #expect(try await emulator.send(.POST, "/__emulator/reset", json: [String: String]()).status == 200)
        }
        try await EmulatorHarness.with({ $0.statePath = statePath }) { (emulator: EmulatorHarness) async throws in
            #expect(try await emulator.send(.GET, path).result?["hostnames"] as? [String] == [])
            #expect(try await emulator.send(.GET, path + "?mtls_certificate_id=\(byo)").result?["hostnames"] as? [String] == [])
        }
    }

    @Test("a hostname association that cannot be saved is refused with 1500 and not kept")
    func unsavedAssociationIsRefused() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        let statePath = directory.appendingPathComponent("state.db").path
        try await EmulatorHarness.with({ $0.statePath = statePath }) { emulator in
            let path = "/client/v4/zones/\(EmulatorHarness.newZone())/certificate_authorities/hostname_associations"
            try FileManager.default.removeItem(at: directory)  // every later save fails
            let reply = try await emulator.send(.PUT, path, json: ["hostnames": ["a.example.com"]])
            #expect(reply.status == 500)
            #expect(reply.errorCode == 1500)
            #expect(try await emulator.send(.GET, path).result?["hostnames"] as? [String] == [])
        }
    }

    @Test("a change that cannot be saved is refused with 1500 and not kept")
    func unsavedChangeIsRefused() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        let statePath = directory.appendingPathComponent("state.db").path
        try await EmulatorHarness.with({ $0.statePath = statePath }) { emulator in
            let zone = EmulatorHarness.newZone()
            try FileManager.default.removeItem(at: directory)  // every later save fails
            let reply = try await emulator.create(zone: zone, csr: try await OpenSSL.makeCSR(key: "ec:prime256v1"))
            #expect(reply.status == 500)
            #expect(reply.errorCode == 1500)
            #expect(try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone)).resultInfo?["total_count"] as? Int == 0)
        }
    }

    @Test("a second emulator on the same --state is refused at once, naming the file, until the first is closed")
    func secondEmulatorIsRefused() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = EmulatorConfiguration()
        configuration.caKeyType = .p256
        configuration.statePath = directory.appendingPathComponent("state.db").path
        let first = try Emulator(configuration: configuration)
        try first.seed(zoneID: EmulatorHarness.newZone(), count: 2)
        let error = #expect(throws: EmulatorConfiguration.Invalid.self) { _ = try Emulator(configuration: configuration) }
        #expect(error?.description.contains(configuration.statePath ?? "-") == true)
        #expect(error?.description.contains("in use") == true)
        try first.close()
        try first.close()  // twice: harmless
        #expect(throws: (any Error).self) { try first.seed(zoneID: EmulatorHarness.newZone(), count: 1) }
        let second = try Emulator(configuration: configuration)  // free once the first is closed
        #expect(second.caCertificatePEM == first.caCertificatePEM)
    }

    @Test("close() writes the whole state into the main file: no -wal left, the file alone restarts")
    func closeCheckpoints() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let statePath = directory.appendingPathComponent("state.db").path
        var configuration = EmulatorConfiguration()
        configuration.caKeyType = .p256
        configuration.statePath = statePath
        let zone = EmulatorHarness.newZone()
        let emulator = try Emulator(configuration: configuration)
        try emulator.seed(zoneID: zone, count: 40)
        try emulator.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["state.db"])
        // Copied alone (what a backup takes), it holds everything.
        let copy = directory.appendingPathComponent("copy.db").path
        try FileManager.default.copyItem(atPath: statePath, toPath: copy)
        chmod(copy, 0o600)
        try await EmulatorHarness.with({ $0.statePath = copy }) { restarted in
            let listing = try await restarted.send(.GET, EmulatorHarness.certificatesPath(zone))
            #expect(listing.resultInfo?["total_count"] as? Int == 40)
        }
    }
}
