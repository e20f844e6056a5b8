/// Bounds an async operation by a deadline that covers all of it.
///
/// async-http-client's own deadline ends when the response head arrives: a server that sends its headers and then
/// stalls (or drips) the body would hold a request for as long as it likes. Racing the whole exchange against a
/// timer closes that gap.
enum Deadline {
    /// Runs `operation`; at `deadline` cancels it and throws `timeout`. The operation must end soon after it is
    /// cancelled (async-http-client's requests and response bodies do: cancelling closes the connection).
    ///
    /// The timer is an event-loop timer, not `Task.sleep` (see `EventLoopSleep`).
    static func run<T: Sendable, Failure: Error & Sendable>(
        until deadline: ContinuousClock.Instant, orThrow timeout: Failure,
        _ operation: @escaping @Sendable () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        let outcome: Result<T, Failure> = await withTaskGroup(of: Result<T, Failure>?.self) { group in
            group.addTask {
                do throws(Failure) {
                    return .success(try await operation())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                // nil when cancelled: the operation ended first, or the calling task was cancelled (then the
                // operation's own answer, its cancellation error, is the one to give).
                guard (try? await EventLoopSleep.sleep(until: deadline)) != nil else { return nil }
                return .failure(timeout)
            }
            for await finished in group {
                if let finished {
                    group.cancelAll()
                    return finished
                }
            }
            return .failure(timeout)
        }
        return try outcome.get()
    }
}
