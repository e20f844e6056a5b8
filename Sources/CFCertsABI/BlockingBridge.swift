import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the async core for a blocking C call.
///
/// The work runs on `BlockingExecutor`'s own threads, never on Swift's cooperative pool: a C caller may itself be
/// on a cooperative thread (a Swift program calling the C API), and blocking those while the work waits for them
/// deadlocks a two-core machine.
enum BlockingBridge {
    static func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task(executorPreference: BlockingExecutor.shared) {
            box.value = await operation()
            done.signal()
        }
        done.wait()
        return box.value!
    }

    /// Written by the task before it signals, read by the caller after the wait: never at the same time.
    private final class ResultBox<T>: @unchecked Sendable {
        var value: T?
    }
}

/// A task executor with a few dedicated threads that run jobs in order of arrival.
final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    /// Enough threads that a job never waits for another to finish: the jobs only compute between suspensions.
    static let shared = BlockingExecutor(threadCount: 4)

    private var jobs: [UnownedJob] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let available = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init(threadCount: Int) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(available, nil)
        for _ in 0..<threadCount {
            var thread = pthread_t()
            let context = Unmanaged.passUnretained(self).toOpaque()
            pthread_create(&thread, nil, { context in
                Unmanaged<BlockingExecutor>.fromOpaque(context!).takeUnretainedValue().work()
                return nil
            }, context)
            pthread_detach(thread)
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        jobs.append(job)
        pthread_cond_signal(available)
        pthread_mutex_unlock(mutex)
    }

    /// Runs jobs until the process ends.
    private func work() {
        while true {
            pthread_mutex_lock(mutex)
            while jobs.isEmpty { pthread_cond_wait(available, mutex) }
            let job = jobs.removeFirst()
            pthread_mutex_unlock(mutex)
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
