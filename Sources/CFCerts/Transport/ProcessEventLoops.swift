import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The event loops every client of this process runs on, made again in a child of `fork()`.
///
/// A child of `fork()` has only the thread that forked: the event loops of its parent, their timers and their
/// connections' threads do not exist there, and anything waiting for them waits forever (gunicorn `--preload`,
/// a `multiprocessing` fork pool, Celery prefork, Puma's `preload_app`). So nothing here is used outside the
/// process that made it: a group (and every `PerProcess` value) belongs to the pid that made it, and the first use
/// in another process makes its own. The parent's are abandoned in the child, never shut down (their threads
/// are gone) nor freed (a client that is not shut down stops the process in its deinit).
///
/// NIO's `singleton` group is not used: a host program may have started it before forking.
package enum ProcessEventLoops {
    /// The group of the calling process.
    package static var group: MultiThreadedEventLoopGroup { current.value }

    /// Whether this is a child of `fork()` made after the library was first used. libdispatch (Swift's global pool,
    /// and the queue on which async-http-client reports that a shutdown finished) may never run work there: its
    /// workers were the parent's threads. Nothing the library waits for in a child may depend on it.
    package static var isForkChild: Bool { getpid() != ForkSafeLock.firstPID }

    private static let current = PerProcess<MultiThreadedEventLoopGroup> {
        MultiThreadedEventLoopGroup(numberOfThreads: min(System.coreCount, 4))
    }
}

/// A value made by the process that uses it: after `fork()` the child makes its own on first use, and the
/// parent's is abandoned in the child (kept alive, never touched).
///
/// Guarded by `ForkSafeLock`, so a fork while another thread reads or makes the value cannot leave the lock held
/// in the child.
package final class PerProcess<Value: Sendable>: @unchecked Sendable {
    private let make: @Sendable () -> Value
    private var made: (value: Value, pid: pid_t)?

    package init(_ make: @escaping @Sendable () -> Value) { self.make = make }

    /// A parent's value released in a child is abandoned, not freed.
    deinit {
        guard let made, made.pid != getpid() else { return }
        ForkSafeLock.withLock { ForkSafeLock.abandon(made.value) }
    }

    /// This process's value, made now if it has none.
    package var value: Value {
        ForkSafeLock.withLock {
            let pid = getpid()
            if let made, made.pid == pid { return made.value }
            if let stale = made { ForkSafeLock.abandon(stale.value) }
            let value = make()
            made = (value, pid)
            return value
        }
    }

    /// This process's value if it has made one; nil before first use and in a child that has not used it yet.
    package var valueIfMade: Value? {
        ForkSafeLock.withLock { made.flatMap { $0.pid == getpid() ? $0.value : nil } }
    }
}

/// One process-wide lock that is never left held in a child of `fork()`: `pthread_atfork` takes it before the
/// fork and releases it on both sides (in the child, where only the forking thread survives, it is made anew).
/// Hold it only briefly, and call nothing that could fork while holding it.
package enum ForkSafeLock {
    nonisolated(unsafe) private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        initialize(mutex)
        _ = firstPID  // the library's first use: the process whose libdispatch works
        pthread_atfork(
            { pthread_mutex_lock(ForkSafeLock.mutex) },
            { pthread_mutex_unlock(ForkSafeLock.mutex) },
            { ForkSafeLock.initialize(ForkSafeLock.mutex) })
        return mutex
    }()

    /// Recursive: one process value may be made from another's (an HTTP client from the event loop group).
    private static func initialize(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    /// The process that first used the library.
    static let firstPID: pid_t = getpid()

    /// What the parent left behind in a child: kept alive so that nothing runs their deinit.
    nonisolated(unsafe) private static var abandoned: [Any] = []

    package static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Keeps `value` alive for the rest of the process. Call with the lock held.
    static func abandon(_ value: Any) { abandoned.append(value) }
}
