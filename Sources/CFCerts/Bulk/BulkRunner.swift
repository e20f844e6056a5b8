import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs one operation over many items, `concurrency` at a time, and hands each item's outcome to an
/// `OutcomeQueue` as it completes. One item's failure never stops the others.
///
/// With a journal, an item is recorded `sent` (with when) before its request and `done` (or `failed`) after it,
/// and an item an earlier run left unsettled is settled before anything is sent again (see `settle`). So a run
/// killed at any moment and started again never does an item twice. A journal that cannot be written stops the
/// run: no item is sent unrecorded, and an item already done is still handed out done (with `journalError`).
///
/// Waiting for budget is not a failure: an item that pacing could not fit in its call's deadline, or that the
/// server still answered 429 after the call's retries (at most 5 times), waits as long as it is asked and is sent
/// again, after settling it first when its earlier attempt's outcome is unknown.
struct BulkRunner: Sendable {
    let resource: ClientCertificates
    let operation: BulkOperation
    let zoneID: String
    let items: [BulkItem]
    let concurrency: Int
    let journal: BulkJournal?
    private let zoneCSRs = ZoneCSRIndex()
    /// When this run began (wall clock): every request an earlier run sent was sent before.
    private let startedAt = Date()

    init(resource: ClientCertificates, operation: BulkOperation, zoneID: String, items: [BulkItem], concurrency: Int,
         journal: BulkJournal?) {
        self.resource = resource
        self.operation = operation
        self.zoneID = zoneID
        self.items = items
        self.concurrency = concurrency
        self.journal = journal
    }

    /// The most times one item is sent again after the server answered 429 to every retry of a call.
    static let rateLimitedRounds = 5

    func run(into queue: OutcomeQueue) async {
        let started = ContinuousClock.now
        let limitedBefore = resource.transport.rateLimitedAnswers
        var summary = BulkSummary(total: items.count)
        let journalFailure = JournalFailure()
        await withTaskGroup(of: BulkOutcome.self) { group in
            var next = 0
            var running = 0
            while true {
                while running < concurrency, next < items.count, !Task.isCancelled, journalFailure.error == nil {
                    let index = next
                    group.addTask { await self.process(index, journalFailure: journalFailure) }
                    next += 1
                    running += 1
                }
                guard let outcome = await group.next() else { break }
                running -= 1
                switch outcome.disposition {
                case .done: summary.done += 1
                case .alreadyDone: summary.alreadyDone += 1
                case .failed: summary.failed += 1
                }
                queue.push(outcome)
            }
            summary.notStarted = items.count - next
        }
        summary.rateLimitedAnswers = resource.transport.rateLimitedAnswers - limitedBefore
        summary.elapsed = ContinuousClock.now - started
        summary.journalError = journalFailure.error
        journal?.end(everyItemDone: summary.done + summary.alreadyDone == summary.total && summary.journalError == nil)
        queue.finish(summary)
    }

    private func process(_ index: Int, journalFailure: JournalFailure) async -> BulkOutcome {
        let item = items[index]
        let key = item.journalKey
        var outcome = BulkOutcome(index: index, item: item, disposition: .failed, certificateID: item.certificateID)
        let earlier = journal?.earlier[key]
        if case .done(let id)? = earlier, !item.isSeenUndone(by: operation) {
            outcome.disposition = .alreadyDone
            outcome.certificateID = id ?? item.certificateID
            return outcome
        }
        var sentByThisRun = false
        do throws(CFCertsError) {
            if case .unsettled(let sending)? = earlier, let found = try await settle(item, sending: sending) {
                outcome.disposition = .alreadyDone
                outcome.certificate = found
                outcome.certificateID = found.id
                outcome.journalError = record { () throws(CFCertsError) in try journal?.recordDone(key, certificateID: found.id) }
                return outcome
            }
            let firstSentAt = Date()
            // Before each send: a send recorded again keeps the journal's answer_by past its latest request.
            let recordSent = { (sentAt: Date) throws(CFCertsError) in
                if let error = record({ () throws(CFCertsError) in
                    try journal?.recordSent(key, at: sentAt, answerBy: sentAt + Self.seconds(attemptTimeout))
                }) {
                    throw error
                }
            }
            try recordSent(firstSentAt)
            sentByThisRun = true
            let certificate = try await perform(item, sentAt: firstSentAt, beforeSendingAgain: recordSent)
            outcome.disposition = .done
            outcome.certificate = certificate
            outcome.certificateID = certificate.id
            outcome.journalError = record { () throws(CFCertsError) in try journal?.recordDone(key, certificateID: certificate.id) }
        } catch {
            outcome.disposition = .failed
            outcome.error = error
            if journalFailure.error == nil {
                try? journal?.recordFailed(key, error: error, answered: sentByThisRun && !error.outcomeUnknown)
            }
        }
        return outcome

        /// Writes a record; a failure stops the run and is returned.
        func record(_ write: () throws(CFCertsError) -> Void) -> CFCertsError? {
            do throws(CFCertsError) {
                try write()
                return nil
            } catch {
                journalFailure.set(error)
                return error
            }
        }
    }

    /// The item's call, sent again while the budget (or the server's 429) asks to wait, after settling an attempt
    /// whose outcome is unknown (an earlier attempt may have been carried out: sending again would fail, or issue
    /// a second certificate).
    private func perform(_ item: BulkItem, sentAt: Date, beforeSendingAgain: (Date) throws(CFCertsError) -> Void)
        async throws(CFCertsError) -> ClientCertificate
    {
        var limitedRounds = 0
        while true {
            do throws(CFCertsError) {
                return try await call(item)
            } catch where error.kind == .rateLimited {
                // No request was sent when pacing gave up (no HTTP status): waiting is always safe then.
                if error.httpStatus != nil {
                    limitedRounds += 1
                    guard limitedRounds <= Self.rateLimitedRounds else { throw error }
                }
                try await Self.sleep(for: error.retryAfter ?? .seconds(1))
                if error.outcomeUnknown {
                    // The call is over: no answer of it can still arrive.
                    let sending = BulkJournal.Sending(firstSentAt: sentAt, answerBy: Date())
                    do throws(CFCertsError) {
                        if let found = try await settle(item, sending: sending) { return found }
                    } catch {
                        throw error.withOutcomeUnknown()  // still unknown: the next run settles it
                    }
                }
                try beforeSendingAgain(Date())
            } catch where error.outcomeUnknown && error.kind != .cancelled && operation != .create {
                // The call ended without an answer (its timeout, a broken connection): a read tells whether the
                // revoke or reactivate was carried out. A create is left unsettled (a late answer could still
                // issue it): the journal's next run settles it once no answer can arrive.
                let sending = BulkJournal.Sending(firstSentAt: sentAt, answerBy: Date())
                if let found = try? await settle(item, sending: sending) { return found }
                throw error
            }
        }
    }

    private func call(_ item: BulkItem) async throws(CFCertsError) -> ClientCertificate {
        switch operation {
        case .revoke: try await resource.revoke(zoneID: zoneID, id: item.certificateID ?? "")
        case .reactivate: try await resource.reactivate(zoneID: zoneID, id: item.certificateID ?? "")
        case .create: try await resource.create(zoneID: zoneID, csr: item.csr ?? "", validityDays: item.validityDays)
        }
    }

    /// For an item sent without a recorded answer: the certificate, when that request was carried out; nil when
    /// the item is still to do. Waits while pacing refuses the reads (they are safe to repeat).
    ///
    /// A revoke or reactivate is done when the certificate is already in the state it leads to. A create is done by
    /// the one certificate of the zone that fits it (`CreateSettlement`); when none fits yet and an answer could
    /// still be in flight, it is looked for again once the request's own timeout has passed.
    private func settle(_ item: BulkItem, sending: BulkJournal.Sending) async throws(CFCertsError) -> ClientCertificate? {
        var failedReads = 0
        while true {
            do throws(CFCertsError) {
                switch operation {
                case .revoke, .reactivate:
                    let reached: Set<ClientCertificateStatus> = operation == .revoke
                        ? [.pendingRevocation, .revoked] : [.pendingReactivation, .active]
                    let current = try await resource.get(zoneID: zoneID, id: item.certificateID ?? "")
                    return reached.contains(current.status) ? current : nil
                case .create:
                    return try await settleCreate(item, sending: sending)
                }
            } catch where error.kind == .rateLimited && error.httpStatus == nil {
                try await Self.sleep(for: error.retryAfter ?? .seconds(1))
            } catch where (error.kind == .timeout || error.kind == .connection) && failedReads < Self.settlingReadRetries {
                // The reads are safe to repeat: a slow or broken answer is no reason to leave the item unsettled.
                failedReads += 1
                try await Self.sleep(for: .seconds(1))
            }
        }
    }

    /// Reads that settle an item are tried again this many times after a timeout or a broken connection.
    static let settlingReadRetries = 3

    private func settleCreate(_ item: BulkItem, sending: BulkJournal.Sending) async throws(CFCertsError) -> ClientCertificate? {
        let settlement = CreateSettlement(csr: item.csr ?? "", sending: sending)
        let now = Date()
        // A certificate that fits is proof, whenever the listing began; its absence is, only from a listing begun
        // after no answer could still be in flight.
        let inFlight = sending.answerBy.map { $0 > now } ?? false
        let listedAfter = inFlight ? startedAt : max(startedAt, sending.answerBy ?? startedAt)
        if let found = try settlement.pick(try await zoneCSRs.certificates(for: settlement.csr, listedAfter: listedAfter,
                                                                           resource: resource, zoneID: zoneID)) {
            return found
        }
        guard inFlight, let answerBy = sending.answerBy else { return nil }
        // Its answer could still be in flight: look again once it cannot, at most one attempt's timeout from now
        // (a clock set back, or a hand-edited journal, cannot make the run wait longer).
        let wait = min(Self.seconds(attemptTimeout), answerBy.timeIntervalSince(now).rounded(.up))
        try await Self.sleep(for: .seconds(wait))
        return try settlement.pick(try await zoneCSRs.certificates(for: settlement.csr, listedAfter: answerBy,
                                                                   resource: resource, zoneID: zoneID))
    }

    /// One attempt's timeout: after it, no answer to a request sent can still arrive.
    private var attemptTimeout: Duration {
        let configuration = resource.transport.configuration
        return min(configuration.requestTimeout, configuration.totalTimeout ?? configuration.requestTimeout)
    }

    private static func sleep(for duration: Duration) async throws(CFCertsError) {
        do {
            try await EventLoopSleep.sleep(for: duration)
        } catch {
            throw .cancelled()
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// Which certificate of the zone, if any, an unsettled create issued.
///
/// Only one that fits: the same CSR, issued after the item was first sent (`clockSkew` allowed), and neither
/// revoked nor being revoked (an old certificate of the same CSR, revoked since, is never taken for this run's).
/// When more than one fits, nothing is guessed: the item fails and names them.
struct CreateSettlement {
    let csr: String
    let sending: BulkJournal.Sending

    /// How much earlier than the journal's send time an `issued_on` may be and still fit: the CA's clock and this
    /// machine's may disagree, and the API may round `issued_on` down (its examples show whole minutes). Two
    /// minutes: an older certificate of the same CSR is this close only when made by hand in the same minutes.
    static let clockSkew: TimeInterval = 120

    /// The one fitting certificate among `candidates` (certificates with the same CSR), nil when none fits.
    func pick(_ candidates: [ClientCertificate]) throws(CFCertsError) -> ClientCertificate? {
        let fitting = candidates.filter(fits)
        guard fitting.count <= 1 else {
            let ids = fitting.map(\.id).sorted().joined(separator: ", ")
            throw CFCertsError(kind: .api, message: "\(fitting.count) certificates of the zone fit this create's lost answer (same CSR, issued after it was sent, not revoked): \(ids); which one this run issued cannot be told: revoke the ones not wanted, then run again")
        }
        return fitting.first
    }

    private func fits(_ certificate: ClientCertificate) -> Bool {
        guard certificate.status != .revoked, certificate.status != .pendingRevocation else { return false }
        guard let sentAt = sending.firstSentAt, let issued = certificate.issuedOnDate else {
            return true  // nothing recorded, or nothing readable, to rule it out by
        }
        return issued >= sentAt.addingTimeInterval(-Self.clockSkew)
    }
}

/// What a failure to write the journal was, set once, read by every task of a run.
private final class JournalFailure: Sendable {
    private let value = NIOLockedValueBox<CFCertsError?>(nil)
    var error: CFCertsError? { value.withLockedValue { $0 } }
    func set(_ error: CFCertsError) { value.withLockedValue { if $0 == nil { $0 = error } } }
}

/// The zone's certificates by CSR, from one listing shared by the items that need it: listed the first time a
/// create is settled, and again only for an item that needs a listing begun later (its answer could have been in
/// flight when the last one began). Cancelling the items waiting for a listing cancels the listing.
private final class ZoneCSRIndex: Sendable {
    private struct Listing {
        var startedAt: Date
        var task: Task<[String: [ClientCertificate]], any Error>
    }

    private let latest = NIOLockedValueBox<Listing?>(nil)

    /// The certificates whose CSR is `csr`, from a listing begun at `listedAfter` or later.
    func certificates(for csr: String, listedAfter: Date, resource: ClientCertificates,
                      zoneID: String) async throws(CFCertsError) -> [ClientCertificate] {
        let listing = latest.withLockedValue { latest in
            if let listing = latest, listing.startedAt >= listedAfter { return listing.task }
            let preference = withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
            let task = Task(executorPreference: preference) {
                var byCSR: [String: [ClientCertificate]] = [:]
                for try await certificate in try resource.list(zoneID: zoneID, prefetchPages: 4) {
                    byCSR[CSRText.normalized(certificate.csr), default: []].append(certificate)
                }
                return byCSR
            }
            latest = Listing(startedAt: Date(), task: task)
            return task
        }
        do {
            let byCSR = try await withTaskCancellationHandler { try await listing.value } onCancel: { listing.cancel() }
            return byCSR[CSRText.normalized(csr)] ?? []
        } catch {
            latest.withLockedValue { if $0?.task == listing { $0 = nil } }  // the next item lists again
            if Task.isCancelled { throw CFCertsError.cancelled() }
            throw (error as? CFCertsError) ?? CFCertsError(kind: .connection, message: "listing the zone failed: \(error)")
        }
    }
}
