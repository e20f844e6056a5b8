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
/// deadlocks a two-core machine. Everything the work starts (the iterator's prefetching tasks too) runs there.
/// Never call `run` from one of those threads (a deinit there, say): it would wait for itself.
enum BlockingBridge {
    static func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let slot = ResultSlot<T>()
        Task(executorPreference: BlockingExecutor.shared) {
            slot.pointer.initialize(to: await operation())
            done.signal()
        }
        done.wait()
        return slot.pointer.move()
    }

    /// Initialised by the task before it signals, moved out by the caller after the wait: never at the same time.
    private final class ResultSlot<T>: @unchecked Sendable {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: 1)
        deinit { pointer.deallocate() }
    }
}

/// A task executor with a few dedicated threads that run jobs in order of arrival.
final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    /// Enough threads that a job never waits for another to finish: the jobs only compute between suspensions.
    /// nil only if no thread could be started at all; the bridge then falls back to the global pool.
    static let shared: BlockingExecutor? = BlockingExecutor(threadCount: 4)

    private var jobs = JobQueue()
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let available = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Starts `threadCount` threads; nil when none could be started. Lives as long as the process.
    private init?(threadCount: Int) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(available, nil)
        var started = 0
        for _ in 0..<threadCount {
            var thread = pthread_t()
            let context = Unmanaged.passUnretained(self).toOpaque()
            let failed = pthread_create(&thread, nil, { context in
                guard let context else { return nil }
                Unmanaged<BlockingExecutor>.fromOpaque(context).takeUnretainedValue().work()
                return nil
            }, context)
            guard failed == 0 else { continue }
            pthread_detach(thread)
            started += 1
        }
        guard started > 0 else { return nil }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        jobs.push(job)
        pthread_cond_signal(available)
        pthread_mutex_unlock(mutex)
    }

    /// Runs jobs until the process ends.
    private func work() {
        while true {
            pthread_mutex_lock(mutex)
            var next = jobs.pop()
            while next == nil {
                pthread_cond_wait(available, mutex)
                next = jobs.pop()
            }
            pthread_mutex_unlock(mutex)
            next?.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// First in, first out, O(1) per job (amortised): jobs are pushed on one array and popped from another that
/// holds them reversed.
struct JobQueue {
    private var incoming: [UnownedJob] = []
    private var outgoing: [UnownedJob] = []

    mutating func push(_ job: UnownedJob) {
        incoming.append(job)
    }

    mutating func pop() -> UnownedJob? {
        if outgoing.isEmpty {
            outgoing = incoming.reversed()
            incoming.removeAll(keepingCapacity: true)
        }
        return outgoing.popLast()
    }
}
