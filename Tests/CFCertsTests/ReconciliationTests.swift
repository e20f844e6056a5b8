import CFCerts
import CFCertsEmulator
import Foundation
import Testing

@Suite("Revoke and reactivate after an unknown outcome")
struct ReconciliationTests {
    static let itemPath = "/client/v4/zones/*/client_certificates/*"

    @Test("a revoke whose answer is lost is done: the retry's refusal is reconciled by a read")
    func lostRevokeAnswer() async throws {
        try await CoreHarness.with { harness in
            let created = try await harness.createCertificate()
            harness.emulator.clearReceivedRequests()
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "DELETE", path: Self.itemPath))
            let revoked = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            #expect(revoked.status == .pendingRevocation)
            // The lost answer (0), the retry refused (400: only an active certificate can be revoked), the read.
            #expect(harness.requests.map { "\($0.method) \($0.status)" } == ["DELETE 0", "DELETE 400", "GET 200"])
        }
    }

    @Test("with no retries, a lost answer alone is reconciled too")
    func lostAnswerNoRetry() async throws {
        try await CoreHarness.with(client: { $0.maxRetries = 0 }) { harness in
            let created = try await harness.createCertificate()
            harness.emulator.clearReceivedRequests()
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "DELETE", path: Self.itemPath))
            let revoked = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            #expect(revoked.status == .pendingRevocation)
            let methods = harness.requests.map(\.method)
            #expect(methods.filter { $0 == "DELETE" }.count == 1 && methods.last == "GET", "\(methods)")
        }
    }

    @Test("a reactivate whose answer is lost is done")
    func lostReactivateAnswer() async throws {
        try await CoreHarness.with { harness in
            let created = try await harness.createCertificate()
            _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "PATCH", path: Self.itemPath))
            let reactivated = try await harness.client.clientCertificates.reactivate(zoneID: harness.zone, id: created.id)
            #expect(reactivated.status == .pendingReactivation)
        }
    }

    @Test("a revoke applied but answered 5xx by the edge is done: reconciled like a lost answer",
          arguments: [502, 504, 522, 524])
    func revokeAppliedThen5xx(status: Int) async throws {
        try await CoreHarness.with { harness in
            let created = try await harness.createCertificate()
            harness.emulator.clearReceivedRequests()
            try harness.emulator.arm(.init(kind: .appliedThenError, method: "DELETE", path: Self.itemPath, status: status))
            let revoked = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            #expect(revoked.status == .pendingRevocation)
            #expect(harness.requests.map { "\($0.method) \($0.status)" } == ["DELETE \(status)", "DELETE 400", "GET 200"])
        }
    }

    @Test("a reactivate applied but answered 502, with no retries, is done")
    func reactivateAppliedThen502() async throws {
        try await CoreHarness.with(client: { $0.maxRetries = 0 }) { harness in
            let created = try await harness.createCertificate()
            _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            try harness.emulator.arm(.init(kind: .appliedThenError, method: "PATCH", path: Self.itemPath, status: 502))
            let reactivated = try await harness.client.clientCertificates.reactivate(zoneID: harness.zone, id: created.id)
            #expect(reactivated.status == .pendingReactivation)
        }
    }

    @Test("a 5xx to a revoke that was not applied stays an error after the read")
    func notApplied5xx() async throws {
        try await CoreHarness.with(client: { $0.maxRetries = 0 }) { harness in
            let created = try await harness.createCertificate()
            try harness.emulator.arm(.init(kind: .html, method: "DELETE", path: Self.itemPath, status: 502))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            }
            #expect(error?.httpStatus == 502)
            #expect(harness.requests.suffix(2).map(\.method) == ["DELETE", "GET"])
        }
    }

    @Test("without an unknown outcome a refusal stays a refusal, and nothing is read")
    func refusalStays() async throws {
        try await CoreHarness.with { harness in
            let created = try await harness.createCertificate()
            _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            harness.emulator.clearReceivedRequests()
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            }
            #expect(error?.kind == .api)
            #expect(error?.cloudflareErrors.first?.code == 1010)
            #expect(harness.requests.map(\.method) == ["DELETE"])
        }
    }

    @Test("a lost answer on a certificate left in another state is still an error")
    func lostButNotDone() async throws {
        try await CoreHarness.with { harness in
            let created = try await harness.createCertificate()
            _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            _ = try await harness.client.clientCertificates.reactivate(zoneID: harness.zone, id: created.id)
            // pending_reactivation: the DELETE is processed and refused, and that answer is lost.
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "DELETE", path: Self.itemPath))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: created.id)
            }
            #expect(error?.cloudflareErrors.first?.code == 1010)
            let current = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: created.id)
            #expect(current.status == .pendingReactivation)
        }
    }

    @Test("a bulk revoke whose answer was lost, and whose retry and read pacing refused, is settled by a read, not sent again")
    func bulkRevokeSettledAfterPacingRefusal() async throws {
        try await CoreHarness.with(emulator: { $0.rateLimit = nil }, client: { $0.pacing = .off }) { harness in
            let created = try await harness.createCertificate()
            // One request per 3 s and calls of 1.5 s: the lost DELETE spends the budget, so pacing refuses the
            // call's retry and its reconciling read; the run waits for the budget before going on.
            var paced = harness.client.configuration
            paced.pacing = .budget(requests: 1, per: .seconds(3))
            paced.totalTimeout = .milliseconds(1500)
            let client = try CFCertsClient(configuration: paced)
            harness.emulator.clearReceivedRequests()
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "DELETE", path: Self.itemPath))
            let run = try client.clientCertificates.bulk(.revoke, zoneID: harness.zone, items: [.certificate(created.id)])
            var outcomes: [BulkOutcome] = []
            for await outcome in run { outcomes.append(outcome) }
            try await client.shutdown()
            #expect(outcomes.map(\.disposition) == [.done], "\(outcomes.map { $0.error?.description ?? "" })")
            #expect(outcomes.first?.certificate?.status == .pendingRevocation)
            // One DELETE, never sent again; the read that settled it last (on a loaded machine a read may time
            // out and be made again).
            let requests = harness.requests.map { "\($0.method) \($0.status)" }
            #expect(requests.filter { $0.hasPrefix("DELETE") } == ["DELETE 0"], "\(requests)")
            #expect(requests.last == "GET 200", "\(requests)")
        }
    }

    @Test("a bulk revoke whose call timed out before its answer came is settled by a read, not reported failed")
    func bulkRevokeSettledAfterTimeout() async throws {
        try await CoreHarness.with(emulator: { $0.rateLimit = nil }, client: { $0.pacing = .off }) { harness in
            let created = try await harness.createCertificate()
            // The DELETE is carried out after 0.8 s, its call gives up at its total timeout of 0.5 s; the read
            // that settles it waits for the budget (1 request per 4 s), by when the revoke is done.
            var configuration = harness.client.configuration
            configuration.totalTimeout = .milliseconds(500)
            configuration.pacing = .budget(requests: 1, per: .seconds(4))
            let client = try CFCertsClient(configuration: configuration)
            harness.emulator.clearReceivedRequests()
            try harness.emulator.arm(.init(kind: .delay, method: "DELETE", path: Self.itemPath, delayMs: 800))
            let run = try client.clientCertificates.bulk(.revoke, zoneID: harness.zone, items: [.certificate(created.id)])
            var outcomes: [BulkOutcome] = []
            for await outcome in run { outcomes.append(outcome) }
            try await client.shutdown()
            #expect(outcomes.map(\.disposition) == [.done], "\(outcomes.map { $0.error?.description ?? "" })")
            #expect(outcomes.first?.certificate?.status == .pendingRevocation)
            let methods = harness.requests.map(\.method)
            #expect(methods.filter { $0 == "DELETE" }.count == 1 && methods.last == "GET", "\(methods)")
        }
    }
}
