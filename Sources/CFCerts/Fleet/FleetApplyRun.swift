import NIOConcurrencyHelpers

/// An apply in progress (`Fleet.startApply`): each step's result as it ends, then the report, or the error that
/// stopped the apply before or between its steps (a held state folder, a failed listing).
///
/// The apply goes on whether or not the results are read (they wait here). `cancel()` stops it between steps and
/// ends its requests in flight; what it left under way is finished by the next apply.
///
/// Started with `callerRunsHooks`, the run hands out each hook to run as an event and waits for `answerHook(_:)`
/// before it goes on: the program that reads the events runs the hook its own way (the C, Python and Ruby faces:
/// a library does not spawn processes inside its host).
public final class FleetApplyRun: Sendable {
    public enum Event: Sendable {
        case result(FleetApplyReport.Result)
        /// Run this hook, then `answerHook(_:)`: the apply waits for the answer.
        case hook(FleetHookRequest)
    }

    private let iterator: IteratorBox
    private let end = NIOLockedValueBox<Result<FleetApplyReport, CFCertsError>?>(nil)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let hookAnswer = HookAnswer()

    init(taskExecutor: (any TaskExecutor)?, callerRunsHooks: Bool,
         apply: @escaping @Sendable (_ onEvent: @escaping @Sendable (Event) -> Void, _ hookRunner: FleetHookRunner?) async throws(CFCertsError) -> FleetApplyReport) {
        let (events, continuation) = AsyncStream<Event>.makeStream()
        iterator = IteratorBox(events.makeAsyncIterator())
        let end = self.end
        let hookAnswer = self.hookAnswer
        var hookRunner: FleetHookRunner?
        if callerRunsHooks {
            hookRunner = { @Sendable name, command, environment in
                await hookAnswer.wait {
                    continuation.yield(.hook(FleetHookRequest(name: name, command: command, environment: environment)))
                }
            }
        }
        let runner = hookRunner
        task.withLockedValue { task in
            task = Task(executorPreference: taskExecutor) {
                let outcome: Result<FleetApplyReport, CFCertsError>
                do throws(CFCertsError) {
                    outcome = .success(try await apply({ continuation.yield($0) }, runner))
                } catch {
                    outcome = .failure(error)
                }
                end.withLockedValue { $0 = outcome }
                continuation.finish()
            }
        }
    }

    /// The next event; nil once the apply is over (then `outcome` is set). After a `.hook`, answer it first.
    public func next() async -> Event? {
        while let event = await iterator.next() {
            // A hook handed out as the apply was cancelled waits for nothing: it counted as interrupted.
            if case .hook = event, !hookAnswer.handOut() { continue }
            return event
        }
        return nil
    }

    /// The report, or the error that stopped the apply; nil until `next()` has returned nil.
    public var outcome: Result<FleetApplyReport, CFCertsError>? { end.withLockedValue { $0 } }

    /// A hook `next()` handed out waits for its answer.
    public var awaitsHookAnswer: Bool { hookAnswer.isHandedOut }

    /// Answers the hook `next()` handed out: the apply goes on. False when no hook waits (none was handed out, it
    /// was answered, or the apply was cancelled meanwhile: then it counts as interrupted).
    @discardableResult
    public func answerHook(_ outcome: FleetHookOutcome) -> Bool { hookAnswer.answer(outcome) }

    /// Stops the apply between steps, and ends its requests in flight. A hook waiting for its answer counts as
    /// interrupted: the next apply runs it again.
    public func cancel() { task.withLockedValue { $0?.cancel() } }

    /// The answer a handed-out hook waits for; a cancelled apply answers it as interrupted.
    private final class HookAnswer: Sendable {
        private struct Waiter {
            let continuation: CheckedContinuation<FleetHookOutcome, Never>
            /// `next()` has returned the hook's event.
            var handedOut = false
        }

        private let waiter = NIOLockedValueBox<Waiter?>(nil)

        var isHandedOut: Bool { waiter.withLockedValue { $0?.handedOut ?? false } }

        /// Stores the waiter, then `post`s the request (so an answer to it always finds the waiter).
        func wait(post: @Sendable () -> Void) async -> FleetHookOutcome {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let cancelled = waiter.withLockedValue { waiter in
                        if Task.isCancelled { return true }
                        waiter = Waiter(continuation: continuation)
                        return false
                    }
                    if cancelled {
                        continuation.resume(returning: .interrupted("the apply was cancelled"))
                    } else {
                        post()
                    }
                }
            } onCancel: {
                answer(.interrupted("the apply was cancelled"), evenIfNotHandedOut: true)
            }
        }

        /// Marks the waiting hook handed out; false when none waits (the apply was cancelled meanwhile).
        func handOut() -> Bool {
            waiter.withLockedValue { waiter in
                guard waiter != nil else { return false }
                waiter?.handedOut = true
                return true
            }
        }

        /// Resumes the waiting hook: only once handed out, unless `evenIfNotHandedOut` (a cancellation).
        @discardableResult
        func answer(_ outcome: FleetHookOutcome, evenIfNotHandedOut: Bool = false) -> Bool {
            let taken = waiter.withLockedValue { waiter -> Waiter? in
                guard let waiting = waiter, waiting.handedOut || evenIfNotHandedOut else { return nil }
                waiter = nil
                return waiting
            }
            guard let waiting = taken else { return false }
            waiting.continuation.resume(returning: outcome)
            return true
        }
    }

    /// The stream's iterator, read by one caller at a time (the C handle's rule).
    private final class IteratorBox: @unchecked Sendable {
        private var iterator: AsyncStream<Event>.Iterator
        private let lock = NIOLock()

        init(_ iterator: AsyncStream<Event>.Iterator) { self.iterator = iterator }

        func next() async -> Event? {
            var copy = lock.withLock { iterator }
            let event = await copy.next()
            lock.withLock { iterator = copy }
            return event
        }
    }
}

/// A hook for the caller to run (`FleetApplyRun.Event.hook`): `/bin/sh -c command`, its environment the caller's
/// without `unset` and with `environment` added, as `cfcerts apply` runs it.
public struct FleetHookRequest: Codable, Sendable, Hashable {
    public var name: String
    public var command: String
    /// The `CFCERTS_*` variables of the entry's new files.
    public var environment: [String: String]
    /// The credential variables: a hook installs files; it has no use for the API credentials.
    public var unset: [String]

    public init(name: String, command: String, environment: [String: String]) {
        self.name = name
        self.command = command
        self.environment = environment
        unset = Configuration.EnvironmentVariable.credentialNames.sorted()
    }
}

extension Fleet {
    /// `apply`, started in the background: read each step's result from the returned run as it ends. Its tasks
    /// run on `taskExecutor` when given (the C facade's threads). With `callerRunsHooks`, the run hands out the
    /// hooks (in place of `options.hookRunner`).
    package func startApply(_ manifest: FleetManifest, stateFolder: String, options: FleetApplyOptions,
                            callerRunsHooks: Bool = false, taskExecutor: (any TaskExecutor)?) -> FleetApplyRun {
        FleetApplyRun(taskExecutor: taskExecutor, callerRunsHooks: callerRunsHooks) { onEvent, hookRunner throws(CFCertsError) in
            var options = options
            let callerCallback = options.onResult
            options.onResult = { result in
                callerCallback?(result)
                onEvent(.result(result))
            }
            if let hookRunner { options.hookRunner = hookRunner }
            return try await self.apply(manifest, stateFolder: stateFolder, options: options)
        }
    }
}
