@testable import CFCerts
import CFCertsEmulator
import Foundation
import Testing

/// A journal is the record of one run: it settles a create only against a certificate that fits, refuses a finished
/// run or other items, is held by one run at a time, and never costs an issued certificate.
@Suite("Bulk journals")
struct BulkJournalTests {
    static let createPath = "/client/v4/zones/*/client_certificates"

    static func csr(_ commonName: String) throws -> String {
        try CertificateSigningRequests.generate(subject: CSRSubject(commonName: commonName)).csrPEM
    }

    static func timestamp(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt)) }

    /// A journal as a killed run of `items` leaves it, the item's create sent at `sentAt`, its answer due by `answerBy`.
    static func writeKilledCreateJournal(_ path: String, zone: String, items: [BulkItem], sent: BulkItem, sentAt: Date,
                                         answerBy: Date) throws {
        try """
            \(header(.create, zone: zone, items: items, startedAt: sentAt))
            {"answer_by":"\(timestamp(answerBy))","at":"\(timestamp(sentAt))","event":"sent","key":"\(sent.journalKey)"}

            """.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// The first line of a journal of a run of `items`.
    static func header(_ operation: BulkOperation, zone: String, items: [BulkItem], startedAt: Date = Date()) -> String {
        let asked = "items:" + SHA256Hex.of(items.map(\.journalKey).sorted().joined(separator: "\n"))
        return #"{"asked":"\#(asked)","items":\#(items.count),"journal":"cfcerts-bulk","operation":"\#(operation.rawValue)","started_at":"\#(timestamp(startedAt))","version":2,"zone":"\#(zone)"}"#
    }

    @Test("a create whose POST was lost is not settled against an old revoked certificate of its CSR: it is sent again")
    func revokedCertificateDoesNotFit() async throws {
        try await CoreHarness.with { harness in
            let csr = try Self.csr("reissued")
            let old = try await harness.client.clientCertificates.create(zoneID: harness.zone, csr: csr, validityDays: 30)
            _ = try await harness.client.clientCertificates.revoke(zoneID: harness.zone, id: old.id)
            // The dropped POST's answer could arrive until its timeout: a short one (4 s, ample on a loaded machine)
            // keeps the settling wait short.
            var configuration = harness.client.configuration
            configuration.requestTimeout = .seconds(4)
            let client = try CFCertsClient(configuration: configuration)
            defer { Task { try? await client.shutdown() } }
            let resource = client.clientCertificates
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let items = [BulkItem.csr(csr, validityDays: 30, name: "x")]
            try harness.emulator.arm(.init(kind: .drop, method: "POST", path: Self.createPath))
            let lost = await BulkTests.collect(try resource.bulk(.create, zoneID: harness.zone, items: items,
                                                                 options: BulkOptions(journalPath: path)))
            #expect(lost.map(\.disposition) == [.failed])
            let again = await BulkTests.collect(try resource.bulk(.create, zoneID: harness.zone, items: items,
                                                                  options: BulkOptions(journalPath: path)))
            #expect(again.map(\.disposition) == [.done])
            #expect(again.first?.certificateID != old.id)
            #expect(again.first?.certificate?.status == .active)
        }
    }

    @Test("a certificate of the same CSR issued before the item was sent does not fit: the create is sent again")
    func earlierCertificateDoesNotFit() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            let csr = try Self.csr("earlier")
            let earlier = try await resource.create(zoneID: harness.zone, csr: csr, validityDays: 30)
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let items = [BulkItem.csr(csr, validityDays: 30)]
            // Sent ten minutes after `earlier` was issued (far beyond the clock skew allowed), answered by now.
            try Self.writeKilledCreateJournal(path, zone: harness.zone, items: items, sent: items[0],
                                              sentAt: Date().addingTimeInterval(600), answerBy: Date())
            let outcomes = await BulkTests.collect(try resource.bulk(.create, zoneID: harness.zone, items: items,
                                                                     options: BulkOptions(journalPath: path)))
            #expect(outcomes.map(\.disposition) == [.done])
            #expect(outcomes.first?.certificateID != earlier.id)
        }
    }

    @Test("when two certificates fit a lost create, the item fails and names both: nothing is guessed")
    func twoFittingCertificatesFail() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            let csr = try Self.csr("twice")
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let items = [BulkItem.csr(csr, validityDays: 30)]
            try harness.emulator.arm(.init(kind: .lostAnswer, method: "POST", path: Self.createPath))
            let lost = await BulkTests.collect(try resource.bulk(.create, zoneID: harness.zone, items: items,
                                                                 options: BulkOptions(journalPath: path)))
            #expect(lost.map(\.disposition) == [.failed])
            let other = try await resource.create(zoneID: harness.zone, csr: csr, validityDays: 30)
            let again = await BulkTests.collect(try resource.bulk(.create, zoneID: harness.zone, items: items,
                                                                  options: BulkOptions(journalPath: path)))
            #expect(again.map(\.disposition) == [.failed])
            let message = again.first?.error?.message ?? ""
            let ids = try await Self.certificateIDs(harness)
            #expect(ids.count == 2 && ids.contains(other.id))
            #expect(ids.allSatisfy { message.contains($0) }, "\(message)")
        }
    }

    @Test("a create refused by the server (an answer: nothing in flight) is sent again at once on resume, without waiting")
    func answeredFailureIsNotWaitedFor() async throws {
        // Attempts may take 120 s: a resume that waited for an in-flight answer would take that long.
        try await CoreHarness.with(client: { $0.requestTimeout = .seconds(120) }) { harness in
            let resource = harness.client.clientCertificates
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let items = [BulkItem.csr(try Self.csr("refused-once"), validityDays: 30)]
            try harness.emulator.arm(.init(kind: .status, method: "POST", path: Self.createPath, status: 400, code: 1000))
            let refused = await BulkTests.collect(try resource.bulk(.create, zoneID: harness.zone, items: items,
                                                                    options: BulkOptions(journalPath: path)))
            #expect(refused.map(\.disposition) == [.failed])
            let resumedAt = ContinuousClock.now
            let again = await BulkTests.collect(try resource.bulk(.create, zoneID: harness.zone, items: items,
                                                                  options: BulkOptions(journalPath: path)))
            #expect(again.map(\.disposition) == [.done])
            #expect(ContinuousClock.now - resumedAt < .seconds(60))  // generous: a wait would be 120 s
        }
    }

    @Test("a finished run's journal, or a journal of other items, is refused before anything is sent")
    func finishedOrOtherItemsRefused() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            let first = try await harness.createCertificate(commonName: "a")
            let second = try await harness.createCertificate(commonName: "b")
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let done = await BulkTests.collect(try resource.bulk(.revoke, zoneID: harness.zone, items: [.certificate(first.id)],
                                                                 options: BulkOptions(journalPath: path)))
            #expect(done.map(\.disposition) == [.done])
            harness.emulator.clearReceivedRequests()
            let finished = #expect(throws: CFCertsError.self) {
                _ = try resource.bulk(.revoke, zoneID: harness.zone, items: [.certificate(first.id)],
                                      options: BulkOptions(journalPath: path))
            }
            #expect(finished?.kind == .invalidArgument)
            #expect(finished?.message.contains("pass a new journal") == true, "\(String(describing: finished))")
            let other = #expect(throws: CFCertsError.self) {
                _ = try resource.bulk(.revoke, zoneID: harness.zone, items: [.certificate(second.id)],
                                      options: BulkOptions(journalPath: path))
            }
            #expect(other?.message.contains("pass a new journal") == true, "\(String(describing: other))")
            #expect(harness.requests.isEmpty)
        }
    }

    @Test("an unfinished run is resumed by the same items: done skipped, failed tried again")
    func unfinishedRunResumed() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            let first = try await harness.createCertificate(commonName: "a")
            let second = try await harness.createCertificate(commonName: "b")
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let items: [BulkItem] = [.certificate(first.id), .certificate(second.id)]
            try harness.emulator.arm(.init(kind: .status, method: "DELETE", path: "/client/v4/zones/*/client_certificates/\(second.id)",
                                           status: 400, code: 1000))
            let partly = await BulkTests.collect(try resource.bulk(.revoke, zoneID: harness.zone, items: items,
                                                                   options: BulkOptions(journalPath: path)))
            #expect(Set(partly.map(\.disposition)) == [.done, .failed])
            let resumed = await BulkTests.collect(try resource.bulk(.revoke, zoneID: harness.zone, items: items.reversed(),
                                                                    options: BulkOptions(journalPath: path)))
            let byID = Dictionary(uniqueKeysWithValues: resumed.map { ($0.certificateID ?? "", $0.disposition) })
            #expect(byID == [first.id: .alreadyDone, second.id: .done])
        }
    }

    @Test("a second run on a journal in use is refused at once with inUse; once the first ends, the journal is free")
    func oneRunAtATime() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            let certificate = try await harness.createCertificate(commonName: "busy")
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try harness.emulator.arm(.init(kind: .delay, method: "DELETE", delayMs: 1500))
            let items = [BulkItem.certificate(certificate.id)]
            let first = try resource.bulk(.revoke, zoneID: harness.zone, items: items, options: BulkOptions(journalPath: path))
            let busy = #expect(throws: CFCertsError.self) {
                _ = try resource.bulk(.revoke, zoneID: harness.zone, items: items, options: BulkOptions(journalPath: path))
            }
            #expect(busy.map { "\($0.kind)" } == "in use")
            #expect(busy?.message.contains("in use") == true)
            #expect(await BulkTests.collect(first).map(\.disposition) == [.done])
            #expect(harness.requests.filter { $0.method == "DELETE" }.count == 1)
            // The first run is over (and finished): the journal is free, and refused only as finished.
            let after = #expect(throws: CFCertsError.self) {
                _ = try resource.bulk(.revoke, zoneID: harness.zone, items: items, options: BulkOptions(journalPath: path))
            }
            #expect(after?.kind == .invalidArgument)
        }
    }

    @Test("cancelling a run ends it while a create is being settled by a long zone listing")
    func cancelEndsTheSettlingListing() async throws {
        try await CoreHarness.with { harness in
            let resource = harness.client.clientCertificates
            try harness.emulator.seed(zoneID: harness.zone, count: 250)
            let path = BulkTests.journalPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let items = [BulkItem.csr(try Self.csr("unsettled"), validityDays: 30)]
            try Self.writeKilledCreateJournal(path, zone: harness.zone, items: items, sent: items[0],
                                              sentAt: Date().addingTimeInterval(-120), answerBy: Date().addingTimeInterval(-60))
            // Every page of the listing takes 20 s: the whole listing at least 40 s.
            try harness.emulator.arm(.init(kind: .delay, method: "GET", path: Self.createPath, count: 100, delayMs: 20_000))
            harness.emulator.clearReceivedRequests()
            let run = try resource.bulk(.create, zoneID: harness.zone, items: items, options: BulkOptions(journalPath: path))
            // The listing has started by then (a delayed request is logged only when it ends: nothing to poll).
            try await Task.sleep(for: .seconds(2))
            let cancelled = ContinuousClock.now
            run.cancel()
            let outcomes = await BulkTests.collect(run)
            // Generous (10.3 s seen with `swift test` on a machine loaded three times over): the listing alone
            // would take 40 s more.
            #expect(ContinuousClock.now - cancelled < .seconds(20))
            #expect(outcomes.map(\.error?.kind) == [.cancelled])
            #expect(!harness.requests.contains { $0.method == "POST" })
        }
    }

    static func certificateIDs(_ harness: CoreHarness) async throws -> [String] {
        var ids: [String] = []
        for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone) { ids.append(certificate.id) }
        return ids
    }
}
