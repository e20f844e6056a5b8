import CCFCerts
import CFCertsABI
import CFCertsTestSupport
import Foundation
import Testing

/// One cancellable shared by plain threads: calls in flight against a server that never answers, cancelled from
/// another thread (the header's "any thread may cancel"), and the flag raised, lowered and read by many at once.
/// Under `make sanitize` (ThreadSanitizer) the second also checks that the cancellable's lock is one TSan sees:
/// those threads share nothing else that synchronises them.
@Suite("C ABI: one cancellable shared by threads")
struct SharedCancellableTests {
    @Test("8 threads x 3 calls each, pushed on one cancellable, all end ECANCELLED when another thread cancels")
    func cancelFromAnotherThread() throws {
        let watchdog = Watchdog(seconds: 120, what: "cancelling 8 threads' calls")
        defer { watchdog.disarm() }
        let blackHole = try BlackHole()
        // No retries and no timeout of ours short enough to end a call: only the cancellation can.
        let client = try BlockingBridgeTests.client(baseURL: blackHole.baseURL, maxRetries: CFCERTS_NO_RETRIES,
                                                    requestTimeoutMs: 600_000)
        var made: OpaquePointer?
        try #require(cfcerts_cancellable_new(&made) == CFCERTS_OK)
        let cancellable = BlockingBridgeTests.SharedHandle(pointer: made)
        let threads = 8
        let callsEach = 3
        let codes = LockedValue<[Int32]>([])
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)

        for _ in 0..<threads {
            Thread.detachNewThread {
                #expect(cfcerts_cancellable_push_current(cancellable.pointer) == CFCERTS_OK)
                started.signal()
                for _ in 0..<callsEach {
                    var out: UnsafeMutablePointer<CChar>?
                    let code = cfcerts_get(&out, client.pointer, BlockingBridgeTests.zone, "any")
                    codes.withLock { $0.append(code) }
                    #expect(out == nil)
                }
                #expect(cfcerts_cancellable_pop_current(cancellable.pointer) == CFCERTS_OK)
                finished.signal()
            }
        }
        for _ in 0..<threads { started.wait() }
        let canceller = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            cfcerts_cancellable_cancel(cancellable.pointer)
            canceller.signal()
        }
        canceller.wait()
        for _ in 0..<threads { finished.wait() }

        #expect(codes.withLock { $0 } == Array(repeating: CFCERTS_ECANCELLED, count: threads * callsEach))
        #expect(cfcerts_cancellable_is_cancelled(cancellable.pointer) == 1)
        cfcerts_cancellable_free(cancellable.pointer)
        cfcerts_client_free(client.pointer)
    }

    @Test("cancel, reset and is_cancelled on one cancellable from 8 threads x 500 rounds, then the last word holds")
    func flagFromManyThreads() throws {
        var made: OpaquePointer?
        try #require(cfcerts_cancellable_new(&made) == CFCERTS_OK)
        let cancellable = BlockingBridgeTests.SharedHandle(pointer: made)
        PlainThreads.run(8) { thread in
            for round in 0..<500 {
                switch (thread + round) % 3 {
                case 0: cfcerts_cancellable_cancel(cancellable.pointer)
                case 1: cfcerts_cancellable_reset(cancellable.pointer)
                default: #expect([0, 1].contains(cfcerts_cancellable_is_cancelled(cancellable.pointer)))
                }
            }
        }
        cfcerts_cancellable_cancel(cancellable.pointer)
        #expect(cfcerts_cancellable_is_cancelled(cancellable.pointer) == 1)
        cfcerts_cancellable_reset(cancellable.pointer)
        #expect(cfcerts_cancellable_is_cancelled(cancellable.pointer) == 0)
        cfcerts_cancellable_free(cancellable.pointer)
    }
}
