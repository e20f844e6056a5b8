import NIOConcurrencyHelpers

/// An apply in progress (`Fleet.startApply`): each step's result as it ends, then the report, or the error that
/// stopped the apply before or between its steps (a held state folder, a failed listing).
///
/// The apply goes on whether or not the results are read (they wait here). `cancel()` stops it between steps and
/// ends its requests in flight; what it left under way is finished by the next apply.
public final class FleetApplyRun: Sendable {
    private let results: AsyncStream<FleetApplyReport.Result>
    private let iterator: IteratorBox
    private let end = NIOLockedValueBox<Result<FleetApplyReport, CFCertsError>?>(nil)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(taskExecutor: (any TaskExecutor)?,
         apply: @escaping @Sendable (_ onResult: @escaping @Sendable (FleetApplyReport.Result) -> Void) async throws(CFCertsError) -> FleetApplyReport) {
        let (results, continuation) = AsyncStream<FleetApplyReport.Result>.makeStream()
        self.results = results
        iterator = IteratorBox(results.makeAsyncIterator())
        let end = self.end
        task.withLockedValue { task in
            task = Task(executorPreference: taskExecutor) {
                let outcome: Result<FleetApplyReport, CFCertsError>
                do throws(CFCertsError) {
                    outcome = .success(try await apply { continuation.yield($0) })
                } catch {
                    outcome = .failure(error)
                }
                end.withLockedValue { $0 = outcome }
                continuation.finish()
            }
        }
    }

    /// The next step's result; nil once the apply is over (then `outcome` is set).
    public func next() async -> FleetApplyReport.Result? { await iterator.next() }

    /// The report, or the error that stopped the apply; nil until `next()` has returned nil.
    public var outcome: Result<FleetApplyReport, CFCertsError>? { end.withLockedValue { $0 } }

    /// Stops the apply between steps, and ends its requests in flight.
    public func cancel() { task.withLockedValue { $0?.cancel() } }

    /// The stream's iterator, read by one caller at a time (the C handle's rule).
    private final class IteratorBox: @unchecked Sendable {
        private var iterator: AsyncStream<FleetApplyReport.Result>.Iterator
        private let lock = NIOLock()

        init(_ iterator: AsyncStream<FleetApplyReport.Result>.Iterator) { self.iterator = iterator }

        func next() async -> FleetApplyReport.Result? {
            var copy = lock.withLock { iterator }
            let result = await copy.next()
            lock.withLock { iterator = copy }
            return result
        }
    }
}

extension Fleet {
    /// `apply`, started in the background: read each step's result from the returned run as it ends. Its tasks
    /// run on `taskExecutor` when given (the C facade's threads).
    package func startApply(_ manifest: FleetManifest, stateFolder: String, options: FleetApplyOptions,
                            taskExecutor: (any TaskExecutor)?) -> FleetApplyRun {
        FleetApplyRun(taskExecutor: taskExecutor) { onResult throws(CFCertsError) in
            var options = options
            let callerCallback = options.onResult
            options.onResult = { result in
                callerCallback?(result)
                onResult(result)
            }
            return try await self.apply(manifest, stateFolder: stateFolder, options: options)
        }
    }
}
