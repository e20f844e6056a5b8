import NIOConcurrencyHelpers
import Synchronization

/// Runs one operation over many items, `concurrency` at a time, and hands each item's outcome to an
/// `OutcomeQueue` as it completes. One item's failure never stops the others.
///
/// With a journal, an item is recorded `sent` before its request and `done` (or `failed`) after it, and an item an
/// earlier run left `sent` is settled before anything is sent again: a revoke or reactivate by reading the
/// certificate (already in the state the request leads to: done), a create by finding a certificate of the zone with
/// the item's CSR (the API returns each certificate's CSR). So a run killed at any moment and started again never
/// does an item twice. A journal that cannot be written stops the run: no item is sent unrecorded.
///
/// Waiting for budget is not a failure: an item that pacing could not fit in its call's deadline, or that the
/// server still answered 429 after the call's retries (at most 5 times), waits as long as it is asked and is sent
/// again.
struct BulkRunner: Sendable {
    let resource: ClientCertificates
    let operation: BulkOperation
    let zoneID: String
    let items: [BulkItem]
    let concurrency: Int
    let journal: BulkJournal?
    private let zoneCSRs = ZoneCSRIndex()

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
        let journalFailed = Flag()
        await withTaskGroup(of: BulkOutcome.self) { group in
            var next = 0
            var running = 0
            while true {
                while running < concurrency, next < items.count, !Task.isCancelled, !journalFailed.isSet {
                    let index = next
                    group.addTask { await self.process(index, journalFailed: journalFailed) }
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
        queue.finish(summary)
    }

    private func process(_ index: Int, journalFailed: Flag) async -> BulkOutcome {
        let item = items[index]
        let key = item.journalKey
        var outcome = BulkOutcome(index: index, item: item, disposition: .failed, certificateID: item.certificateID)
        let earlier = journal?.earlier[key]
        if case .done(let id)? = earlier {
            outcome.disposition = .alreadyDone
            outcome.certificateID = id ?? item.certificateID
            return outcome
        }
        do throws(CFCertsError) {
            if earlier == .sent, let found = try await settle(item) {
                try record { () throws(CFCertsError) in try journal?.recordDone(key, certificateID: found.id) }
                outcome.disposition = .alreadyDone
                outcome.certificate = found
                outcome.certificateID = found.id
                return outcome
            }
            try record { () throws(CFCertsError) in try journal?.recordSent(key) }
            let certificate = try await perform(item)
            outcome.disposition = .done
            outcome.certificate = certificate
            outcome.certificateID = certificate.id
            try record { () throws(CFCertsError) in try journal?.recordDone(key, certificateID: certificate.id) }
        } catch {
            outcome.disposition = .failed
            outcome.error = error
            if !journalFailed.isSet { try? journal?.recordFailed(key, error: error) }
        }
        return outcome

        func record(_ write: () throws(CFCertsError) -> Void) throws(CFCertsError) {
            do throws(CFCertsError) {
                try write()
            } catch {
                journalFailed.set()
                throw error
            }
        }
    }

    /// The item's call, sent again while the budget (or the server's 429) asks to wait.
    private func perform(_ item: BulkItem) async throws(CFCertsError) -> ClientCertificate {
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
                do {
                    try await EventLoopSleep.sleep(for: error.retryAfter ?? .seconds(1))
                } catch {
                    throw .cancelled()
                }
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

    /// For an item an earlier run sent without recording the answer: the certificate, when that request was
    /// carried out; nil when the item is still to do.
    private func settle(_ item: BulkItem) async throws(CFCertsError) -> ClientCertificate? {
        switch operation {
        case .revoke, .reactivate:
            let reached: Set<ClientCertificateStatus> = operation == .revoke
                ? [.pendingRevocation, .revoked] : [.pendingReactivation, .active]
            let current = try await resource.get(zoneID: zoneID, id: item.certificateID ?? "")
            return reached.contains(current.status) ? current : nil
        case .create:
            return try await zoneCSRs.certificate(for: item.csr ?? "", resource: resource, zoneID: zoneID)
        }
    }
}

/// Set once, read by every task of a run.
private final class Flag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// The zone's certificates by CSR, listed once per run, the first time a create must be settled.
private final class ZoneCSRIndex: Sendable {
    private let index = NIOLockedValueBox<Task<[String: ClientCertificate], any Error>?>(nil)

    func certificate(for csr: String, resource: ClientCertificates, zoneID: String) async throws(CFCertsError) -> ClientCertificate? {
        let listing = index.withLockedValue { index in
            if let index { return index }
            let preference = withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
            let task = Task(executorPreference: preference) {
                var byCSR: [String: ClientCertificate] = [:]
                for try await certificate in try resource.list(zoneID: zoneID, prefetchPages: 4) {
                    byCSR[CSRText.normalized(certificate.csr)] = certificate
                }
                return byCSR
            }
            index = task
            return task
        }
        do {
            return try await listing.value[CSRText.normalized(csr)]
        } catch let error as CFCertsError {
            index.withLockedValue { $0 = nil }  // the next item lists again
            throw error
        } catch {
            throw CFCertsError(kind: .connection, message: "listing the zone failed: \(error)")
        }
    }
}
