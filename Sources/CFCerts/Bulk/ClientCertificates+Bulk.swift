/// How a bulk run goes.
public struct BulkOptions: Sendable {
    /// Items in flight at once, 1...64. Default 8.
    public var concurrency: Int
    /// A journal file, the record of this one run (see `BulkJournal`'s rules): the run can then be killed at any
    /// moment and started again with the same items and journal, and no item is done twice. A journal of a finished
    /// run or of other items is refused; one another run holds is refused with `inUse`. Default none.
    public var journalPath: String?
    /// What the run was asked, in the caller's words, when its items are chosen by a rule that chooses fewer on a
    /// resume (`revoke --all`'s filters: what the killed run revoked is no longer active): a journal is resumed by
    /// a run asked the same. Default nil: the items themselves (a journal is resumed by the same items).
    public var request: String?
    /// How a journal with records in it is taken up. Default `.oneRun`.
    public var journalPolicy: BulkJournalPolicy

    public static let concurrencyRange = 1...64
    /// The most items in one run.
    public static let maxItems = 1_000_000

    public init(concurrency: Int = 8, journalPath: String? = nil, request: String? = nil,
                journalPolicy: BulkJournalPolicy = .oneRun) {
        self.concurrency = concurrency
        self.journalPath = journalPath
        self.request = request
        self.journalPolicy = journalPolicy
    }
}

/// How a run takes up a journal that holds records.
public enum BulkJournalPolicy: Sendable, Equatable {
    /// The journal records one run: made for it, resumed by the same run (the same operation, zone and items or
    /// request) until every item is done, then refused: a new run needs a new journal.
    case oneRun
    /// The journal serves run after run of items that are never reused (fresh CSRs, as `renew --due` makes): a
    /// run resumes it when it knows one of the run's items or an item is still unsettled, and starts it afresh
    /// otherwise.
    case continuing
}

extension ClientCertificates {
    /// Revokes, reactivates or creates many certificates, `options.concurrency` at a time: iterate the returned run
    /// for each item's outcome as it completes (its `summary` is set at the end). The calls share the credential's
    /// request budget (`Configuration.pacing`). One item's failure never stops the others.
    ///
    /// - Throws: before any request: `invalidArgument` for a bad zone id, an item without its id or CSR, an item
    ///   listed twice, a bad concurrency, or a journal that cannot be opened, belongs to another run or records a
    ///   finished one; `inUse` for a journal another run holds.
    public func bulk(_ operation: BulkOperation, zoneID: String, items: [BulkItem],
                     options: BulkOptions = BulkOptions()) throws(CFCertsError) -> BulkRun {
        try bulk(operation, zoneID: zoneID, items: items, options: options, taskExecutor: nil)
    }

    /// `bulk`, its tasks run on `taskExecutor` (the C facade's threads) rather than the global pool.
    package func bulk(_ operation: BulkOperation, zoneID: String, items: [BulkItem], options: BulkOptions,
                      taskExecutor: (any TaskExecutor)?) throws(CFCertsError) -> BulkRun {
        try PathSegment.validate(zoneID, name: "zone id")
        guard BulkOptions.concurrencyRange.contains(options.concurrency) else {
            throw .invalidArgument("concurrency must be from 1 to \(BulkOptions.concurrencyRange.upperBound)")
        }
        guard items.count <= BulkOptions.maxItems else {
            throw .invalidArgument("a bulk run takes at most \(BulkOptions.maxItems) items")
        }
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            try Self.check(item, at: index, for: operation)
            if let first = seen.updateValue(index, forKey: item.journalKey) {
                let what = operation == .create ? "the same CSR" : "certificate \(item.certificateID ?? "")"
                throw .invalidArgument("items \(first) and \(index) are \(what): each item may be listed once")
            }
        }
        let journal = try options.journalPath.map { path throws(CFCertsError) in
            try BulkJournal(path: path, operation: operation, zoneID: zoneID, keys: items.map(\.journalKey),
                            request: options.request, policy: options.journalPolicy)
        }
        let runner = BulkRunner(resource: self, operation: operation, zoneID: zoneID, items: items,
                                concurrency: options.concurrency, journal: journal)
        return BulkRun(start: { queue in await runner.run(into: queue) }, taskExecutor: taskExecutor)
    }

    private static func check(_ item: BulkItem, at index: Int, for operation: BulkOperation) throws(CFCertsError) {
        switch operation {
        case .revoke, .reactivate:
            guard let id = item.certificateID, item.csr == nil else {
                throw .invalidArgument("item \(index): \(operation.rawValue) takes a certificate id")
            }
            try PathSegment.validate(id, name: "item \(index)'s certificate id")
        case .create:
            guard let csr = item.csr, item.certificateID == nil, !csr.isEmpty else {
                throw .invalidArgument("item \(index): create takes a CSR")
            }
            guard csr.utf8.count <= 64 * 1024 else { throw .invalidArgument("item \(index): the CSR is longer than 64 KiB") }
            guard item.validityDays >= 1 else { throw .invalidArgument("item \(index): validity days must be at least 1") }
        }
    }
}
