import NIOCore
import NIOPosix

/// Waiting without Swift's global cooperative pool.
///
/// A task that `Task.sleep`s is woken through the global pool. A C caller blocks a thread for each call, and when
/// the calls come from Swift tasks those threads are the pool's own: every one of them may be blocked, waiting for
/// work that would then never wake up. An event-loop timer resumes the task on its own executor instead (the C
/// facade's threads), so every wait in the core (retry backoff, the deadline of an attempt) uses this.
enum EventLoopSleep {
    /// Returns at `deadline`; throws `CancellationError` at once when the task is cancelled.
    static func sleep(until deadline: ContinuousClock.Instant) async throws(CancellationError) {
        let timer = ProcessEventLoops.group.any().scheduleTask(deadline: .after(deadline)) {}
        let fired: Void? = await withTaskCancellationHandler {
            try? await timer.futureResult.get()
        } onCancel: {
            timer.cancel()
        }
        guard fired != nil, !Task.isCancelled else { throw CancellationError() }
    }

    static func sleep(for duration: Duration) async throws(CancellationError) {
        try await sleep(until: .now + duration)
    }
}
