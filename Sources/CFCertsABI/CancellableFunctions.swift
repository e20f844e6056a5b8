import CCFCerts
import CFCerts
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a `cfcerts_cancellable *` points to: a flag any thread may raise, and the calls that end when it is.
final class CancellableHandle: Sendable {
    private struct State {
        var cancelled = false
        var observers: [UInt64: @Sendable () -> Void] = [:]
        var nextKey: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    var isCancelled: Bool { state.withLockedValue { $0.cancelled } }

    /// Raises the flag and ends every call observing it. Idempotent.
    func cancel() {
        let observers: [@Sendable () -> Void] = state.withLockedValue { state in
            guard !state.cancelled else { return [] }
            state.cancelled = true
            defer { state.observers = [:] }
            return Array(state.observers.values)
        }
        for observer in observers { observer() }
    }

    func reset() { state.withLockedValue { $0.cancelled = false } }

    /// Calls `onCancel` when the flag is raised, at once if it is already; the key ends the observation.
    func observe(_ onCancel: @escaping @Sendable () -> Void) -> UInt64? {
        let key: UInt64? = state.withLockedValue { state in
            guard !state.cancelled else { return nil }
            state.nextKey += 1
            state.observers[state.nextKey] = onCancel
            return state.nextKey
        }
        if key == nil { onCancel() }
        return key
    }

    func stopObserving(_ key: UInt64?) {
        guard let key else { return }
        _ = state.withLockedValue { $0.observers.removeValue(forKey: key) }
    }

    static func from(_ pointer: OpaquePointer?) -> CancellableHandle? {
        guard let pointer else { return nil }
        return Unmanaged<CancellableHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// Each thread's stack of current cancellables (`cfcerts_cancellable_push_current`): the top one cancels the
/// thread's blocking calls. Freed with the thread.
final class CurrentCancellables {
    private var stack: [CancellableHandle] = []

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<CurrentCancellables>.fromOpaque(pointer).release() }
        }
        return key
    }()

    private static var forThisThread: CurrentCancellables {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<CurrentCancellables>.fromOpaque(existing).takeUnretainedValue()
        }
        let created = CurrentCancellables()
        pthread_setspecific(key, Unmanaged.passRetained(created).toOpaque())
        return created
    }

    /// The calling thread's current cancellable, if any.
    static var top: CancellableHandle? {
        guard let existing = pthread_getspecific(key) else { return nil }
        return Unmanaged<CurrentCancellables>.fromOpaque(existing).takeUnretainedValue().stack.last
    }

    /// The most cancellables one thread may push (a push without pop in a loop is a bug to report, not memory to
    /// lose).
    static let depth = 64

    static func push(_ handle: CancellableHandle) throws(CFCertsError) {
        let current = forThisThread
        guard current.stack.count < depth else {
            throw Arguments.invalid("more than \(depth) cancellables pushed on this thread: pop each one you push")
        }
        current.stack.append(handle)
    }

    static func pop(_ handle: CancellableHandle) throws(CFCertsError) {
        let current = forThisThread
        guard let last = current.stack.last, last === handle else {
            throw Arguments.invalid("cancellable is not this thread's current one: pop in the reverse order of push, on the same thread")
        }
        current.stack.removeLast()
    }
}

@c @implementation
public func cfcerts_cancellable_new(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    handOutObject(out) { () throws(CFCertsError) -> AnyObject in CancellableHandle() }
}

@c @implementation
public func cfcerts_cancellable_cancel(_ cancellable: OpaquePointer?) {
    CancellableHandle.from(cancellable)?.cancel()
}

@c @implementation
public func cfcerts_cancellable_is_cancelled(_ cancellable: OpaquePointer?) -> Int32 {
    CancellableHandle.from(cancellable)?.isCancelled == true ? 1 : 0
}

@c @implementation
public func cfcerts_cancellable_reset(_ cancellable: OpaquePointer?) {
    CancellableHandle.from(cancellable)?.reset()
}

@c @implementation
public func cfcerts_cancellable_push_current(_ cancellable: OpaquePointer?) -> Int32 {
    changeCurrent(cancellable, CurrentCancellables.push)
}

@c @implementation
public func cfcerts_cancellable_pop_current(_ cancellable: OpaquePointer?) -> Int32 {
    changeCurrent(cancellable, CurrentCancellables.pop)
}

/// A push or a pop of the calling thread's stack, with the C API's codes.
private func changeCurrent(_ cancellable: OpaquePointer?,
                           _ change: (CancellableHandle) throws(CFCertsError) -> Void) -> Int32 {
    guard let handle = CancellableHandle.from(cancellable) else { return LastError.invalid("cancellable is NULL") }
    do throws(CFCertsError) {
        try change(handle)
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}

@c @implementation
public func cfcerts_cancellable_free(_ cancellable: OpaquePointer?) {
    guard let cancellable else { return }
    Unmanaged<CancellableHandle>.fromOpaque(UnsafeRawPointer(cancellable)).release()
}
