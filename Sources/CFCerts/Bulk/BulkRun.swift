import NIOConcurrencyHelpers

/// A bulk run in progress: the outcomes of its items in the order they complete, then the summary.
///
/// The run starts when it is made and goes on whether or not the outcomes are read (they wait here). Any number of
/// tasks may iterate at once: each outcome goes to one of them. `cancel()` starts no more items; items in flight
/// end at once with a `cancelled` error (their requests may still have been carried out: a journal settles that on
/// the next run).
public final class BulkRun: AsyncSequence, Sendable {
    public typealias Element = BulkOutcome

    private let queue: OutcomeQueue
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(start: @escaping @Sendable (OutcomeQueue) async -> Void, taskExecutor: (any TaskExecutor)?) {
        let queue = OutcomeQueue()
        self.queue = queue
        task.withLockedValue { $0 = Task(executorPreference: taskExecutor) { await start(queue) } }
    }

    /// Starts no more items and ends those in flight.
    public func cancel() { task.withLockedValue { $0?.cancel() } }

    /// The totals, once every outcome has been delivered to the queue; nil before.
    public var summary: BulkSummary? { queue.summary }

    /// The next outcome, or nil when the run is over (then `summary` is set).
    public func next() async -> BulkOutcome? { await queue.next() }

    public func makeAsyncIterator() -> Iterator { Iterator(run: self) }

    public struct Iterator: AsyncIteratorProtocol {
        let run: BulkRun
        public mutating func next() async -> BulkOutcome? { await run.next() }
    }
}

/// Outcomes waiting to be read, and readers waiting for outcomes.
final class OutcomeQueue: Sendable {
    private struct State {
        var ready: [BulkOutcome] = []
        var readyStart = 0
        var readers: [CheckedContinuation<BulkOutcome?, Never>] = []
        var summary: BulkSummary?
    }

    private let state = NIOLockedValueBox(State())

    var summary: BulkSummary? { state.withLockedValue { $0.summary } }

    func push(_ outcome: BulkOutcome) {
        let reader: CheckedContinuation<BulkOutcome?, Never>? = state.withLockedValue { state in
            if !state.readers.isEmpty { return state.readers.removeFirst() }
            state.ready.append(outcome)
            return nil
        }
        reader?.resume(returning: outcome)
    }

    /// Ends the run: readers waiting now, and every later read once the outcomes are drained, get nil.
    func finish(_ summary: BulkSummary) {
        let readers = state.withLockedValue { state in
            state.summary = summary
            defer { state.readers = [] }
            return state.readers
        }
        for reader in readers { reader.resume(returning: nil) }
    }

    func next() async -> BulkOutcome? {
        await withCheckedContinuation { continuation in
            let answer: BulkOutcome?? = state.withLockedValue { state in
                if state.readyStart < state.ready.count {
                    defer {
                        state.readyStart += 1
                        if state.readyStart == state.ready.count { state.ready = []; state.readyStart = 0 }
                    }
                    return .some(state.ready[state.readyStart])
                }
                if state.summary != nil { return .some(nil) }
                state.readers.append(continuation)
                return .none
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }
}
