@testable import CFCerts
import CFCertsEmulator
import Crypto
import Foundation
import NIOConcurrencyHelpers
import Testing
import X509

@Suite("Fleet plan and apply")
struct FleetTests {
    /// A fresh folder for a manifest's state and outputs.
    static func workspace() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfcerts-fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    static func manifest(zone: String, base: String, prune: String = "keep", defaults: String = "",
                         _ entries: [String]) throws -> FleetManifest {
        let json = """
        {"zone": "\(zone)", "prune": "\(prune)",
         "defaults": {"outputs": {"dir": "out"}\(defaults.isEmpty ? "" : ", " + defaults)},
         "certificates": [\(entries.joined(separator: ","))]}
        """
        return try FleetManifest(json: Array(json.utf8), baseDirectory: base)
    }

    static func devices(_ count: Int, extra: (Int) -> String = { _ in "" }) -> [String] {
        (0..<count).map { #"{"name": "dev-\#($0)", "subject": {"common_name": "dev-\#($0).example.com"}\#(extra($0))}"# }
    }

    static func actions(_ plan: FleetPlan) -> [String: FleetPlan.Action] {
        Dictionary(uniqueKeysWithValues: plan.steps.filter { $0.action != .revokeReplaced }.map { ($0.name, $0.action) })
    }

    /// The zone's certificates by id.
    static func zone(_ harness: CoreHarness) async throws -> [String: ClientCertificate] {
        var byID: [String: ClientCertificate] = [:]
        for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone) { byID[certificate.id] = certificate }
        return byID
    }

    /// Whether the key file holds the private key of the certificate file.
    static func keyMatches(certificateFile: String, keyFile: String) throws -> Bool {
        let certificate = try Certificate(pemEncoded: try String(contentsOfFile: certificateFile, encoding: .utf8))
        let key = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: keyFile, encoding: .utf8))
        return certificate.publicKey == Certificate.PublicKey(key.publicKey)
    }

    static func state(_ base: String) throws -> FleetState { try FleetState(folder: base + "/state") }

    @Test("an empty zone: plan shows every create, apply issues and writes them, plan again shows nothing")
    func createsThenNothing() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            let manifest = try Self.manifest(zone: harness.zone, base: base, Self.devices(12))
            let plan = try await harness.client.fleet.plan(manifest, stateFolder: base + "/state")
            #expect(plan.counts["create"] == 12 && plan.hasChanges)
            #expect(plan.requests == 13, "one listing page and a create each")
            #expect(!FileManager.default.fileExists(atPath: base + "/state"), "plan creates nothing")
            #expect(harness.requests.allSatisfy { $0.method == "GET" })

            let report = try await harness.client.fleet.apply(manifest, stateFolder: base + "/state")
            #expect(report.done == 12 && report.failed == 0 && report.rateLimitedAnswers == 0)
            let zone = try await Self.zone(harness)
            #expect(zone.count == 12 && zone.values.allSatisfy { $0.status == .active })
            let state = try Self.state(base)
            for index in 0..<12 {
                let name = "dev-\(index)"
                let recorded = try #require(state.entries[name])
                let certificate = try #require(zone[recorded.certificateID])
                #expect(certificate.commonName == "\(name).example.com")
                let pem = try String(contentsOfFile: "\(base)/out/\(name).pem", encoding: .utf8)
                #expect(pem == FleetOutputWriter.pem(certificate.certificate))
                #expect(try Self.keyMatches(certificateFile: "\(base)/out/\(name).pem", keyFile: "\(base)/out/\(name).key"))
                let mode = try FileManager.default.attributesOfItem(atPath: "\(base)/out/\(name).key")[.posixPermissions] as? Int
                #expect(mode == 0o600)
            }
            let again = try await harness.client.fleet.plan(manifest, stateFolder: base + "/state")
            #expect(!again.hasChanges, "\(again.steps.filter { $0.action != .none })")
            #expect(again.counts["none"] == 12)
            let stateMode = try FileManager.default.attributesOfItem(atPath: base + "/state")[.posixPermissions] as? Int
            #expect(stateMode == 0o700)
            #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/state").filter { $0.hasPrefix("journal-") }.isEmpty,
                    "a finished apply leaves no journal")
        }
    }

    @Test("a changed validity replaces: the new certificate is saved before the old one is revoked")
    func replaceOnChange() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            _ = try await harness.client.fleet.apply(try Self.manifest(zone: harness.zone, base: base, Self.devices(5)),
                                                     stateFolder: base + "/state")
            let before = try Self.state(base).entries
            let changed = try Self.manifest(zone: harness.zone, base: base, Self.devices(5) { $0 < 2 ? #", "validity_days": 30"# : "" })
            let plan = try await harness.client.fleet.plan(changed, stateFolder: base + "/state")
            #expect(plan.counts["replace"] == 2 && plan.counts["none"] == 3)
            #expect(plan.steps.first { $0.name == "dev-0" }?.reason == "validity_days 365 -> 30")

            harness.emulator.clearReceivedRequests()
            let report = try await harness.client.fleet.apply(changed, stateFolder: base + "/state")
            #expect(report.failed == 0)
            #expect(report.results.filter { $0.action == .replace }.count == 2)
            #expect(report.results.filter { $0.action == .revokeReplaced }.count == 2)
            // Every revoke was sent after every create (create before revoke).
            let methods = harness.requests.map(\.method).filter { $0 == "POST" || $0 == "DELETE" }
            #expect(methods == ["POST", "POST", "DELETE", "DELETE"])
            let zone = try await Self.zone(harness)
            let after = try Self.state(base).entries
            for name in ["dev-0", "dev-1"] {
                let old = try #require(before[name]?.certificateID), new = try #require(after[name]?.certificateID)
                #expect(old != new)
                #expect(zone[old]?.status == .pendingRevocation && zone[new]?.status == .active)
                #expect(zone[new]?.validityDays == 30)
                #expect(try Self.keyMatches(certificateFile: "\(base)/out/\(name).pem", keyFile: "\(base)/out/\(name).key"))
            }
            #expect(after["dev-3"] == before["dev-3"])
            #expect(try Self.state(base).replaced.isEmpty)
            let again = try await harness.client.fleet.plan(changed, stateFolder: base + "/state")
            #expect(!again.hasChanges)
        }
    }

    @Test("due certificates renew; rotation never keeps the key")
    func renewDue() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            let entries = Self.devices(3) { $0 == 2 ? #", "key": {"rotation": "never"}"# : "" }
            _ = try await harness.client.fleet.apply(try Self.manifest(zone: harness.zone, base: base, entries),
                                                     stateFolder: base + "/state")
            let keyBefore = try String(contentsOfFile: base + "/out/dev-2.key", encoding: .utf8)
            let otherKeyBefore = try String(contentsOfFile: base + "/out/dev-1.key", encoding: .utf8)
            // 300 days on, renewed 30 days before expiry: due (and not at today's date).
            let due = try Self.manifest(zone: harness.zone, base: base, defaults: #""renew_before": "90d""#, entries)
            #expect(!(try await harness.client.fleet.plan(due, stateFolder: base + "/state")).hasChanges)
            var later = harness.client.fleet
            later.now = { Date().addingTimeInterval(300 * 86_400) }
            let plan = try await later.plan(due, stateFolder: base + "/state")
            #expect(plan.counts["renew"] == 3)
            #expect(plan.steps.first?.reason.hasPrefix("due since") == true)
            let report = try await later.apply(due, stateFolder: base + "/state")
            #expect(report.failed == 0 && report.results.filter { $0.action == .renew }.count == 3)
            #expect(try String(contentsOfFile: base + "/out/dev-2.key", encoding: .utf8) == keyBefore)
            #expect(try String(contentsOfFile: base + "/out/dev-1.key", encoding: .utf8) != otherKeyBefore)
            for name in ["dev-0", "dev-1", "dev-2"] {
                #expect(try Self.keyMatches(certificateFile: "\(base)/out/\(name).pem", keyFile: "\(base)/out/\(name).key"))
            }
            let zone = try await Self.zone(harness)
            #expect(zone.values.filter { $0.status == .active }.count == 3)
        }
    }

    @Test("status revoked revokes; active again reactivates what cfcerts revoked; prune revoke revokes the unlisted")
    func statusAndPrune() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            _ = try await harness.client.fleet.apply(try Self.manifest(zone: harness.zone, base: base, Self.devices(6)),
                                                     stateFolder: base + "/state")
            let ids = try Self.state(base).entries.mapValues(\.certificateID)
            let lost = try Self.manifest(zone: harness.zone, base: base, Self.devices(6) { $0 == 0 ? #", "status": "revoked""# : "" })
            #expect(Self.actions(try await harness.client.fleet.plan(lost, stateFolder: base + "/state"))["dev-0"] == .revoke)
            _ = try await harness.client.fleet.apply(lost, stateFolder: base + "/state")
            #expect(try await Self.zone(harness)[ids["dev-0"]!]?.status == .pendingRevocation)
            #expect(!(try await harness.client.fleet.plan(lost, stateFolder: base + "/state")).hasChanges)

            let found = try Self.manifest(zone: harness.zone, base: base, Self.devices(6))
            #expect(Self.actions(try await harness.client.fleet.plan(found, stateFolder: base + "/state"))["dev-0"] == .reactivate)
            _ = try await harness.client.fleet.apply(found, stateFolder: base + "/state")
            #expect(try await Self.zone(harness)[ids["dev-0"]!]?.status == .pendingReactivation)

            let fewerKept = try Self.manifest(zone: harness.zone, base: base, Array(Self.devices(6).prefix(4)))
            let keepPlan = try await harness.client.fleet.plan(fewerKept, stateFolder: base + "/state")
            #expect(keepPlan.counts["keep"] == 2 && !keepPlan.hasChanges, "prune keep changes nothing and says so")
            let fewer = try Self.manifest(zone: harness.zone, base: base, prune: "revoke", Array(Self.devices(6).prefix(4)))
            let prunePlan = try await harness.client.fleet.plan(fewer, stateFolder: base + "/state")
            #expect(prunePlan.counts["revoke"] == 2)
            _ = try await harness.client.fleet.apply(fewer, stateFolder: base + "/state")
            let zone = try await Self.zone(harness)
            #expect(zone[ids["dev-4"]!]?.status == .pendingRevocation && zone[ids["dev-5"]!]?.status == .pendingRevocation)
            #expect(try Self.state(base).entries.keys.sorted() == ["dev-0", "dev-1", "dev-2", "dev-3"])
            #expect(!(try await harness.client.fleet.plan(fewer, stateFolder: base + "/state")).hasChanges)
        }
    }

    @Test("a certificate revoked or deleted outside cfcerts is replaced; missing outputs are written again")
    func driftOutside() async throws {
        try await CoreHarness.with(emulator: { $0.transitionDelay = .zero }) { harness in
            let base = try Self.workspace()
            let manifest = try Self.manifest(zone: harness.zone, base: base, Self.devices(3))
            _ = try await harness.client.fleet.apply(manifest, stateFolder: base + "/state")
            let ids = try Self.state(base).entries.mapValues(\.certificateID)
            _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: ids["dev-1"]!)
            try FileManager.default.removeItem(atPath: base + "/out/dev-2.key")
            let plan = try await harness.client.fleet.plan(manifest, stateFolder: base + "/state")
            let step = try #require(plan.steps.first { $0.name == "dev-1" })
            #expect(step.action == .replace && step.reason.contains("revoked outside cfcerts"))
            let outputs = try #require(plan.steps.first { $0.name == "dev-2" })
            #expect(outputs.action == .writeOutputs && outputs.reason.contains("missing dev-2.key"))
            let report = try await harness.client.fleet.apply(manifest, stateFolder: base + "/state")
            #expect(report.failed == 0)
            #expect(try Self.keyMatches(certificateFile: base + "/out/dev-2.pem", keyFile: base + "/out/dev-2.key"))
            #expect(try Self.state(base).entries["dev-1"]?.certificateID != ids["dev-1"])
            #expect(!(try await harness.client.fleet.plan(manifest, stateFolder: base + "/state")).hasChanges)
        }
    }

    @Test("a create whose answer was lost is found again by the next apply: nothing is issued twice")
    func lostAnswerConverges() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            let manifest = try Self.manifest(zone: harness.zone, base: base, Self.devices(4))
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "POST", path: "/client/v4/zones/*/client_certificates"))
            let first = try await harness.client.fleet.apply(manifest, stateFolder: base + "/state")
            #expect(first.failed == 1, "\(first.results)")
            #expect(try Self.state(base).pendingNames().count == 1)
            #expect(try await Self.zone(harness).count == 4, "the lost answer's certificate was issued")

            let plan = try await harness.client.fleet.plan(manifest, stateFolder: base + "/state")
            #expect(plan.counts["create"] == 1 && plan.steps.contains { $0.reason.contains("under way") })
            let second = try await harness.client.fleet.apply(manifest, stateFolder: base + "/state")
            #expect(second.failed == 0 && second.done == 1)
            let zone = try await Self.zone(harness)
            #expect(zone.count == 4, "nothing issued twice")
            #expect(harness.requests.filter { $0.method == "POST" }.count == 4)
            for name in ["dev-0", "dev-1", "dev-2", "dev-3"] {
                #expect(try Self.keyMatches(certificateFile: "\(base)/out/\(name).pem", keyFile: "\(base)/out/\(name).key"))
            }
            #expect(try Self.state(base).pendingNames().isEmpty)
            #expect(!(try await harness.client.fleet.plan(manifest, stateFolder: base + "/state")).hasChanges)
        }
    }

    @Test("the old certificate is revoked only once the new one's hook has succeeded")
    func hookGatesRevocation() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            let calls = NIOLockedValueBox<[[String: String]]>([])
            let succeed = NIOLockedValueBox(true)
            let runner: FleetHookRunner = { _, command, environment in
                calls.withLockedValue { $0.append(environment) }
                #expect(command == "deploy")
                return succeed.withLockedValue { $0 } ? .succeeded : .failed("exited with status 3")
            }
            let options = FleetApplyOptions(hookRunner: runner)
            let entries = Self.devices(1)
            _ = try await harness.client.fleet.apply(try Self.manifest(zone: harness.zone, base: base, defaults: #""hook": "deploy""#, entries),
                                                     stateFolder: base + "/state", options: options)
            let first = try #require(calls.withLockedValue { $0.first })
            #expect(first["CFCERTS_NAME"] == "dev-0" && first["CFCERTS_CERT_FILE"] == base + "/out/dev-0.pem")
            #expect(first["CFCERTS_KEY_FILE"] == base + "/out/dev-0.key" && first["CFCERTS_OLD_ID"] == "")
            let oldID = try #require(try Self.state(base).entries["dev-0"]?.certificateID)

            succeed.withLockedValue { $0 = false }
            let changed = try Self.manifest(zone: harness.zone, base: base, defaults: #""hook": "deploy", "validity_days": 30"#, entries)
            let failed = try await harness.client.fleet.apply(changed, stateFolder: base + "/state", options: options)
            #expect(failed.results.contains { $0.action == .runHook && $0.outcome == .failed })
            #expect(try await Self.zone(harness)[oldID]?.status == .active, "kept while the new one's hook fails")
            let plan = try await harness.client.fleet.plan(changed, stateFolder: base + "/state")
            #expect(Set(plan.steps.map(\.action)).isSuperset(of: [.runHook, .revokeReplaced]))

            succeed.withLockedValue { $0 = true }
            let retried = try await harness.client.fleet.apply(changed, stateFolder: base + "/state", options: options)
            #expect(retried.failed == 0)
            #expect(try await Self.zone(harness)[oldID]?.status == .pendingRevocation)
            #expect(calls.withLockedValue { $0.last?["CFCERTS_OLD_ID"] } == oldID)
            #expect(!(try await harness.client.fleet.plan(changed, stateFolder: base + "/state")).hasChanges)
        }
    }

    @Test("a saved plan is applied only while it still matches; a hook without a runner and a held state are refused")
    func refusals() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            let manifest = try Self.manifest(zone: harness.zone, base: base, Self.devices(2))
            let plan = try await harness.client.fleet.plan(manifest, stateFolder: base + "/state")
            // A certificate of no entry's changes nothing apply would do: the saved plan still holds.
            _ = try await harness.createCertificate(commonName: "someone-else")
            let report = try await harness.client.fleet.apply(manifest, stateFolder: base + "/state",
                                                              options: FleetApplyOptions(expectedBasis: plan.basis))
            #expect(report.done == 2)
            // A saved replacement plan, then one of its certificates revoked outside cfcerts: refused, nothing sent.
            let changed = try Self.manifest(zone: harness.zone, base: base, defaults: #""validity_days": 30"#, Self.devices(2))
            let replacing = try await harness.client.fleet.plan(changed, stateFolder: base + "/state")
            #expect(replacing.counts["replace"] == 2)
            let dev0 = try #require(try Self.state(base).entries["dev-0"]?.certificateID)
            _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: dev0)
            harness.emulator.clearReceivedRequests()
            await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.fleet.apply(changed, stateFolder: base + "/state",
                                                         options: FleetApplyOptions(expectedBasis: replacing.basis))
            }
            #expect(harness.requests.allSatisfy { $0.method == "GET" })

            let hooked = try Self.manifest(zone: harness.zone, base: base, defaults: #""hook": "x""#, Self.devices(2))
            await #expect(throws: CFCertsError.self) { _ = try await harness.client.fleet.apply(hooked, stateFolder: base + "/state") }

            let held = try FleetState.openForRun(base + "/state")
            defer { held.release() }
            do {
                _ = try await harness.client.fleet.apply(manifest, stateFolder: base + "/state")
                Issue.record("a held state folder was applied")
            } catch {
                #expect((error as? CFCertsError)?.kind == .inUse)
            }
        }
    }

    @Test("an entry moved to another zone: its old certificate is revoked in the zone it is in")
    func zoneChange() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            _ = try await harness.client.fleet.apply(try Self.manifest(zone: harness.zone, base: base, Self.devices(1)),
                                                     stateFolder: base + "/state")
            let old = try #require(try Self.state(base).entries["dev-0"]?.certificateID)
            let other = CoreHarness.newZone()
            let moved = try Self.manifest(zone: other, base: base, Self.devices(1))
            #expect(try await harness.client.fleet.plan(moved, stateFolder: base + "/state").steps.first?.action == .replace)
            let report = try await harness.client.fleet.apply(moved, stateFolder: base + "/state")
            #expect(report.failed == 0)
            #expect(try await harness.client.clientCertificates.get(zoneID: harness.zone, id: old).status == .pendingRevocation)
            let new = try #require(try Self.state(base).entries["dev-0"])
            #expect(new.zone == other)
            #expect(try await harness.client.clientCertificates.get(zoneID: other, id: new.certificateID).status == .active)
            #expect(!(try await harness.client.fleet.plan(moved, stateFolder: base + "/state")).hasChanges)
        }
    }

    @Test("a CSR sent again by a later apply is issued again, not taken for what an earlier unfinished apply issued")
    func reusedCSRIsNotSettledAgainstAnEarlierApply() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            let owner = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "partner.example.com"))
            try owner.csrPEM.write(toFile: base + "/partner.csr", atomically: true, encoding: .utf8)
            let entries = [#"{"name": "x", "subject": {"common_name": "x.example.com"}}"#, #"{"name": "partner", "csr": "partner.csr"}"#]
            // x's answer is lost: its pending record keeps the first apply's run open.
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "POST", path: "/client/v4/zones/*/client_certificates"))
            _ = try await harness.client.fleet.apply(try Self.manifest(zone: harness.zone, base: base, entries), stateFolder: base + "/state")
            let first = try #require(try Self.state(base).entries["partner"]?.certificateID)
            // The same CSR again, for another validity: a new certificate, not the first one "already done".
            let changed = try Self.manifest(zone: harness.zone, base: base, defaults: #""validity_days": 30"#,
                                            [#"{"name": "x", "subject": {"common_name": "x.example.com"}, "validity_days": 365}"#, entries[1]])
            let report = try await harness.client.fleet.apply(changed, stateFolder: base + "/state")
            #expect(report.failed == 0, "\(report.results)")
            let second = try #require(try Self.state(base).entries["partner"]?.certificateID)
            #expect(second != first)
            #expect(try await harness.client.clientCertificates.get(zoneID: harness.zone, id: second).validityDays == 30)
            #expect(!(try await harness.client.fleet.plan(changed, stateFolder: base + "/state")).hasChanges)
            #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/state").filter { $0.hasPrefix("journal-") }.isEmpty)
        }
    }

    @Test("a create left under way for an entry since removed is finished, then pruned: nothing is left active or pending")
    func orphanedPendingIsFinished() async throws {
        try await CoreHarness.with { harness in
            let base = try Self.workspace()
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "POST", path: "/client/v4/zones/*/client_certificates"))
            _ = try await harness.client.fleet.apply(try Self.manifest(zone: harness.zone, base: base, Self.devices(1)),
                                                     stateFolder: base + "/state")
            #expect(try Self.state(base).pendingNames() == ["dev-0"])
            let empty = try Self.manifest(zone: harness.zone, base: base, prune: "revoke", [])
            let plan = try await harness.client.fleet.plan(empty, stateFolder: base + "/state")
            #expect(plan.steps.first?.action == .create && plan.steps.first?.reason.contains("no longer in the manifest") == true)
            _ = try await harness.client.fleet.apply(empty, stateFolder: base + "/state")
            _ = try await harness.client.fleet.apply(empty, stateFolder: base + "/state")
            #expect(try Self.state(base).pendingNames().isEmpty && (try Self.state(base).entries.isEmpty))
            let zone = try await Self.zone(harness)
            #expect(zone.count == 1 && zone.values.allSatisfy { $0.status == .pendingRevocation }, "issued once, then pruned")
            #expect(!(try await harness.client.fleet.plan(empty, stateFolder: base + "/state")).hasChanges)
        }
    }
}
