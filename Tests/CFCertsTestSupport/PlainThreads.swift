import Foundation

/// Plain threads for tests that must share nothing but what they test: no task, queue or lock of the runtime
/// between them (so ThreadSanitizer sees only the code under test synchronise them).
public enum PlainThreads {
    /// Runs `body` on `count` new threads, released together, and waits for all of them.
    public static func run(_ count: Int, _ body: @escaping @Sendable (_ thread: Int) -> Void) {
        let start = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        for thread in 0..<count {
            Thread.detachNewThread {
                start.wait()
                body(thread)
                finished.signal()
            }
        }
        for _ in 0..<count { start.signal() }
        for _ in 0..<count { finished.wait() }
    }
}

/// A value the threads of a test share, behind a lock.
public final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.withLock { body(&value) }
    }
}
