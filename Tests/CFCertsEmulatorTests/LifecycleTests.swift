import CFCertsTestSupport
import Foundation
import Testing

/// Transitions are checked with a delay far longer than any test, then ended with the `settle` control,
/// so nothing here depends on timing; one test checks that a short delay really elapses.
@Suite("Certificate lifecycle")
struct LifecycleTests {
    static func settle(_ emulator: EmulatorHarness) async throws {
        #expect(try await emulator.send(.POST, "/__emulator/settle", headers: [:]).status == 200)
    }

    static func createCertificate(_ emulator: EmulatorHarness, zone: String) async throws -> String {
        let reply = try await emulator.create(zone: zone, csr: await OpenSSL.makeCSR(key: "ec:prime256v1"))
        return try #require(reply.result?["id"] as? String)
    }

    @Test("revoke -> pending_revocation -> revoked; reactivate -> pending_reactivation -> active")
    func transitions() async throws {
        try await EmulatorHarness.with({ $0.transitionDelay = .seconds(3600) }) { emulator in
            let zone = EmulatorHarness.newZone()
            let id = try await Self.createCertificate(emulator, zone: zone)
            let path = EmulatorHarness.certificatesPath(zone, id)

            #expect(try await emulator.send(.DELETE, path).result?["status"] as? String == "pending_revocation")
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "pending_revocation")
            #expect(try await emulator.send(.PATCH, path, json: ["reactivate": true]).result?["status"] as? String == "pending_reactivation")
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "pending_reactivation")
            try await Self.settle(emulator)
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "active")

            #expect(try await emulator.send(.DELETE, path).result?["status"] as? String == "pending_revocation")
            try await Self.settle(emulator)
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "revoked")
            // A revoked certificate is still returned by get and list.
            let listed = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone) + "?status=revoked")
            #expect(listed.results.map { $0["id"] as? String } == [id])
        }
    }

    @Test("a pending status settles by itself once the delay has passed")
    func delayElapses() async throws {
        try await EmulatorHarness.with({ $0.transitionDelay = .milliseconds(200) }) { emulator in
            let zone = EmulatorHarness.newZone()
            let path = EmulatorHarness.certificatesPath(zone, try await Self.createCertificate(emulator, zone: zone))
            _ = try await emulator.send(.DELETE, path)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "revoked")
        }
    }

    @Test("a zero delay settles at the next read")
    func zeroDelay() async throws {
        try await EmulatorHarness.with({ $0.transitionDelay = .zero }) { emulator in
            let zone = EmulatorHarness.newZone()
            let path = EmulatorHarness.certificatesPath(zone, try await Self.createCertificate(emulator, zone: zone))
            #expect(try await emulator.send(.DELETE, path).result?["status"] as? String == "pending_revocation")
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "revoked")
        }
    }

    @Test("refused transitions are 400 envelopes and change nothing")
    func refusedTransitions() async throws {
        try await EmulatorHarness.with({ $0.transitionDelay = .seconds(3600) }) { emulator in
            let zone = EmulatorHarness.newZone()
            let path = EmulatorHarness.certificatesPath(zone, try await Self.createCertificate(emulator, zone: zone))

            let reactivateActive = try await emulator.send(.PATCH, path, json: ["reactivate": true])
            #expect(reactivateActive.status == 400)
            #expect(reactivateActive.errorCode == 1009)
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "active")

            for body: Any in [["reactivate": false], [:] as [String: Any], ["reactivate": "yes"]] {
                let reply = try await emulator.send(.PATCH, path, json: body)
                #expect(reply.status == 400)
                #expect(reply.errorCode == 1008)
            }

            _ = try await emulator.send(.DELETE, path)
            let revokeAgain = try await emulator.send(.DELETE, path)
            #expect(revokeAgain.status == 400)
            #expect(revokeAgain.errorCode == 1010)
            try await Self.settle(emulator)
            #expect(try await emulator.send(.DELETE, path).errorCode == 1010)
            #expect(try await emulator.send(.PATCH, path, json: ["reactivate": true]).errorCode == 1009)
            #expect(try await emulator.send(.GET, path).result?["status"] as? String == "revoked")

            let unknown = try await emulator.send(.DELETE, EmulatorHarness.certificatesPath(zone, "nope"))
            #expect(unknown.status == 404)
        }
    }
}
