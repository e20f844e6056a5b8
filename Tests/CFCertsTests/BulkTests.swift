@testable import CFCerts
import CFCertsEmulator
import Foundation
import Testing

@Suite("Bulk operations")
struct BulkTests {
    static func collect(_ run: BulkRun) async -> [BulkOutcome] {
        var outcomes: [BulkOutcome] = []
        for await outcome in run { outcomes.append(outcome) }
        return outcomes
    }

    static func journalPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cfcerts-journal-\(UUID().uuidString)").path
    }

    @Test("a failed item does not stop the others; every outcome and the summary come back")
    func failureIsolated() async throws {
        try await CoreHarness.with { harness in
            var ids: [String] = []
            for index in 0..<12 { ids.append(try await harness.createCertificate(commonName: "device-\(index)").id) }
            let missing = String(repeating: "0", count: 32)
            var items = ids.map { BulkItem.certificate($0) }
            items.insert(.certificate(missing, name: "ghost"), at: 5)
            let run = try harness.client.clientCertificates.bulk(.revoke, zoneID: harness.zone, items: items,
                                                                 options: BulkOptions(concurrency: 4))
            let outcomes = await Self.collect(run)
            #expect(outcomes.count == 13)
            #expect(Set(outcomes.map(\.index)) == Set(0..<13))
            let failed = outcomes.filter { $0.disposition == .failed }
            #expect(failed.map(\.index) == [5])
            #expect(failed.first?.error?.kind == .notFound)
            #expect(failed.first?.item.name == "ghost")
            #expect(outcomes.filter { $0.disposition == .done }.allSatisfy { $0.certificate?.status == .pendingRevocation })
            let summary = try #require(run.summary)
            #expect(summary.total == 13 && summary.done == 12 && summary.failed == 1 && summary.notStarted == 0)
            #expect(harness.requests.filter { $0.method == "DELETE" }.count == 13)
        }
    }

    @Test("items are checked before anything is sent")
    func checkedFirst() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            let bad: [(BulkOperation, [BulkItem])] = [
                (.revoke, [.certificate("ok"), .certificate("..")]),
                (.revoke, [.certificate("a"), .certificate("a")]),
                (.revoke, [.csr("x", validityDays: 1)]),
                (.create, [.certificate("a")]),
                (.create, [.csr("", validityDays: 1)]),
                (.create, [.csr("PEM", validityDays: 0)]),
                (.create, [.csr("PEM", validityDays: 5), .csr("P E M\n", validityDays: 5)]),
            ]
            for (operation, items) in bad {
                #expect(throws: CFCertsError.self) { _ = try resource.bulk(operation, zoneID: harness.zone, items: items) }
            }
            #expect(throws: CFCertsError.self) {
                _ = try resource.bulk(.revoke, zoneID: harness.zone, items: [.certificate("a")], options: BulkOptions(concurrency: 0))
            }
            #expect(harness.requests.isEmpty)
        }
    }

    @Test("with a journal, a second run of a finished one is refused and sends nothing")
    func journalSkipsDone() async throws {
        try await CoreHarness.with { harness in
            let csrs = try (0..<6).map { try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "d\($0)")).csrPEM }
            let items = csrs.enumerated().map { BulkItem.csr($1, validityDays: 30, name: "d\($0)") }
            let path = Self.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let first = await Self.collect(try harness.client.clientCertificates.bulk(
                .create, zoneID: harness.zone, items: items, options: BulkOptions(journalPath: path)))
            #expect(first.allSatisfy { $0.disposition == .done })
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            harness.emulator.clearReceivedRequests()
            let refused = #expect(throws: CFCertsError.self) {
                _ = try harness.client.clientCertificates.bulk(.create, zoneID: harness.zone, items: items,
                                                               options: BulkOptions(journalPath: path))
            }
            #expect(refused?.message.contains("finished") == true)
            #expect(harness.requests.isEmpty)
        }
    }

    @Test("an item sent but never answered is settled, not sent again: a create by its CSR, a revoke by a read")
    func journalSettlesSent() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            let csr = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "lost")).csrPEM
            let issued = try await resource.create(zoneID: harness.zone, csr: csr, validityDays: 30)
            let fresh = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "fresh")).csrPEM
            let path = Self.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            // The journal as a run killed after sending the first create (its answer due by now) leaves it.
            let createItems: [BulkItem] = [.csr(csr, validityDays: 30), .csr(fresh, validityDays: 30)]
            try BulkJournalTests.writeKilledCreateJournal(path, zone: harness.zone, items: createItems, sent: createItems[0],
                                                          sentAt: Date().addingTimeInterval(-5), answerBy: Date())
            FileHandle(forWritingAtPath: path).map { handle in
                handle.seekToEndOfFile()
                handle.write(Data(#"{"event":"sent","key":"csr:"#.utf8))  // torn by the kill
                handle.closeFile()
            }
            harness.emulator.clearReceivedRequests()
            let outcomes = await Self.collect(try resource.bulk(
                .create, zoneID: harness.zone, items: createItems, options: BulkOptions(journalPath: path)))
            let byIndex = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.index, $0) })
            #expect(byIndex[0]?.disposition == .alreadyDone)
            #expect(byIndex[0]?.certificateID == issued.id)
            #expect(byIndex[1]?.disposition == .done)
            #expect(harness.requests.filter { $0.method == "POST" }.count == 1)

            // A revoke that landed although its answer was lost.
            let target = try await harness.createCertificate(commonName: "revoked-before")
            _ = try await resource.revoke(zoneID: harness.zone, id: target.id)
            let revokePath = Self.journalPath()
            defer { try? FileManager.default.removeItem(atPath: revokePath) }
            try """
                \(BulkJournalTests.header(.revoke, zone: harness.zone, items: [.certificate(target.id)]))
                {"event":"sent","key":"id:\(target.id)"}

                """.write(toFile: revokePath, atomically: false, encoding: .utf8)
            harness.emulator.clearReceivedRequests()
            let revoked = await Self.collect(try resource.bulk(
                .revoke, zoneID: harness.zone, items: [.certificate(target.id)], options: BulkOptions(journalPath: revokePath)))
            #expect(revoked.map(\.disposition) == [.alreadyDone])
            #expect(harness.requests.map(\.method) == ["GET"])
        }
    }

    @Test("a journal of another run, or not a journal, is refused before anything is sent")
    func journalOfAnotherRun() async throws {
        try await CoreHarness.with { harness in
            let path = Self.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = await Self.collect(try harness.client.clientCertificates.bulk(
                .revoke, zoneID: harness.zone, items: [], options: BulkOptions(journalPath: path)))
            let error = #expect(throws: CFCertsError.self) {
                _ = try harness.client.clientCertificates.bulk(.reactivate, zoneID: harness.zone, items: [],
                                                               options: BulkOptions(journalPath: path))
            }
            #expect(error?.message.contains("revoke run") == true)
            try "hello\n".write(toFile: path, atomically: false, encoding: .utf8)
            #expect(throws: CFCertsError.self) {
                _ = try harness.client.clientCertificates.bulk(.revoke, zoneID: harness.zone, items: [],
                                                               options: BulkOptions(journalPath: path))
            }
        }
    }

    @Test("cancel starts no more items")
    func cancel() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.seed(zoneID: harness.zone, count: 40)
            var ids: [String] = []
            for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone) { ids.append(certificate.id) }
            try harness.emulator.arm(.init(kind: .delay, method: "DELETE", count: 100, delayMs: 200))
            let run = try harness.client.clientCertificates.bulk(.revoke, zoneID: harness.zone,
                                                                 items: ids.map { .certificate($0) }, options: BulkOptions(concurrency: 2))
            _ = await run.next()
            run.cancel()
            var rest = 0
            while await run.next() != nil { rest += 1 }
            let summary = try #require(run.summary)
            #expect(summary.notStarted > 30)
            #expect(summary.done + summary.failed + summary.notStarted == 40)
        }
    }
}
