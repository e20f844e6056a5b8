import NIOCore
import NIOConcurrencyHelpers

/// Bounds an async operation by a deadline that covers all of it, and ends it at once when the calling task is
/// cancelled.
///
/// async-http-client's own deadline ends when the response head arrives: a server that sends its headers and then
/// stalls (or drips) the body would hold a request for as long as it likes. And its cancellation (a deadline's too)
/// goes through a `Task { }` on Swift's global pool: when that pool is saturated (by C calls made from Swift tasks,
/// or by a host program that blocks it) or gone (in a child of `fork()`), a request with no answer yet would never
/// end. So the caller does not wait for the operation to wind down: an event-loop timer or the caller's
/// cancellation decides, and the operation is cancelled behind it (it ends whenever its HTTP client gets to it).
enum Deadline {
    /// Runs `operation` in a task of its own (on the caller's task executor, if it has one) and returns its
    /// result; at `deadline` throws `timeout`, and on the calling task's cancellation throws `cancelled`, each at
    /// once, cancelling the operation without waiting for it.
    static func run<T: Sendable, Failure: Error & Sendable>(
        until deadline: ContinuousClock.Instant, orThrow timeout: Failure, whenCancelled cancelled: Failure,
        _ operation: @escaping @Sendable () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        let race = FirstOutcome<Result<T, Failure>>()
        let preference = withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
        let work = Task(executorPreference: preference) {
            do throws(Failure) {
                race.decide(.success(try await operation()))
            } catch {
                race.decide(.failure(error))
            }
        }
        let timer = ProcessEventLoops.group.any().scheduleTask(deadline: .after(deadline)) {
            race.decide(.failure(timeout))
        }
        let outcome = await withTaskCancellationHandler {
            await race.wait()
        } onCancel: {
            race.decide(.failure(cancelled))
        }
        timer.cancel()
        work.cancel()
        return try outcome.get()
    }
}

/// The first of several racing outcomes, handed to one waiter. Later ones are dropped.
final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case open(CheckedContinuation<Value, Never>?)
        /// Decided before anyone waited.
        case early(Value)
        case delivered
    }

    private let state = NIOLockedValueBox<State>(.open(nil))

    func decide(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLockedValue { state in
            guard case .open(let waiter) = state else { return nil }
            state = waiter == nil ? .early(value) : .delivered
            return waiter
        }
        waiter?.resume(returning: value)
    }

    /// The first outcome, once there is one. Call once.
    func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let early: Value? = state.withLockedValue { state in
                switch state {
                case .open:
                    state = .open(continuation)
                    return nil
                case .early(let value):
                    state = .delivered
                    return value
                case .delivered:
                    return nil
                }
            }
            if let early { continuation.resume(returning: early) }
        }
    }
}
