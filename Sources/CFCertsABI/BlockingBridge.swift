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
    /// Runs `operation` and waits for it. The calling thread's current cancellable (`cfcerts_cancellable_push_current`),
    /// when it has one, cancels the operation's task: every wait in the core ends at once on that.
    static func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let slot = ResultSlot<T>()
        let cancellable = CurrentCancellables.top
        let task = Task(executorPreference: BlockingExecutor.shared) {
            // A call made while its cancellable is already cancelled sends nothing: the task may start (and a fast
            // answer come back) before the observation below cancels it.
            if cancellable?.isCancelled == true { withUnsafeCurrentTask { $0?.cancel() } }
            slot.pointer.initialize(to: await operation())
            done.signal()
        }
        let observation = cancellable?.observe { task.cancel() }
        done.wait()
        cancellable?.stopObserving(observation)
        return slot.pointer.move()
    }

    /// Initialised by the task before it signals, moved out by the caller after the wait: never at the same time.
    private final class ResultSlot<T>: @unchecked Sendable {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: 1)
        deinit { pointer.deallocate() }
    }
}

/// A task executor with a few dedicated threads that run jobs in order of arrival.
///
/// Its threads belong to the process that started them: in a child of `fork()` (where they do not exist) the
/// first job starts new ones, and the jobs queued in the parent are abandoned (their tasks belonged to calls of
/// threads the child does not have). `pthread_atfork` keeps the queue's lock from being inherited held.
final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    /// Enough threads that a job never waits for another to finish: the jobs only compute between suspensions.
    static let shared = BlockingExecutor(threadCount: 4)

    private let threadCount: Int
    private var jobs = JobQueue()
    /// The process whose threads run the jobs; 0 before any was started.
    private var threadsPID: pid_t = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let available = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Threads start with the first job. Lives as long as the process.
    private init(threadCount: Int) {
        self.threadCount = threadCount
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(available, nil)
        pthread_atfork(
            { pthread_mutex_lock(BlockingExecutor.shared.mutex) },
            { pthread_mutex_unlock(BlockingExecutor.shared.mutex) },
            { BlockingExecutor.shared.resetInForkChild() })
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        let running = threadsPID == getpid() || startThreads()
        if running {
            jobs.push(job)
            pthread_cond_signal(available)
        }
        pthread_mutex_unlock(mutex)
        // No thread could be started (the process is out of them): the global pool is better than never.
        if !running { Task.detached { job.runSynchronously(on: self.asUnownedTaskExecutor()) } }
    }

    /// Starts this process's threads; false when none could be started. Called with the lock held.
    private func startThreads() -> Bool {
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
        if started > 0 { threadsPID = getpid() }
        return started > 0
    }

    /// In a fork child, where only the forking thread exists: a fresh lock and condition, no jobs, no threads.
    private func resetInForkChild() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(available, nil)
        jobs.abandonAll()
        threadsPID = 0
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

    /// Forgets every job without running it (their tasks never resume: a fork child's leftovers).
    mutating func abandonAll() {
        incoming = []
        outgoing = []
    }
}
