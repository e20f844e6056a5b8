import CCFCerts
import CFCertsABI
import CFCertsTestSupport
import Foundation
import Testing

/// The C functions called from Swift tasks: a program may call the C API from async code, blocking cooperative
/// threads. The bridge runs the core on its own threads, so even every cooperative thread blocked at once cannot
/// stop the calls from finishing.
///
/// The cooperative pool has one thread per processor, and libdispatch on Linux has no setting to pin it
/// (LIBDISPATCH_COOPERATIVE_POOL_STRICT and taskset leave it unchanged: measured). So each test starts more
/// blocking tasks than the pool can have threads, checks that as many were blocked at once as the pool is wide,
/// and a watchdog thread ends the process if they deadlock (a Swift time limit cannot fire then: it needs the pool).
/// `make test` runs this target in a process of its own and the suite serialized, so nothing else holds the pool.
@Suite("C ABI called from Swift tasks", .serialized)
struct BlockingBridgeTests {
    /// A C handle (a client, a cancellable) shared by tasks and threads, as the header allows.
    struct SharedHandle: @unchecked Sendable {
        let pointer: OpaquePointer?
    }

    /// More tasks than the cooperative pool has threads, on any machine.
    static let taskCount = max(12, 2 * ProcessInfo.processInfo.activeProcessorCount + 4)
    static let zone = "0123456789abcdef0123456789abcdef"

    @Test("many tasks x 10 blocking calls at once, every cooperative thread blocked, all complete")
    func callsFromManyTasks() async throws {
        let watchdog = Watchdog(seconds: 120, what: "cfcerts_list_page from \(Self.taskCount) tasks")
        defer { watchdog.disarm() }
        let emulator = try EmulatorProcess(["--port", "0", "--ca-key", "p256", "--no-rate-limit"])
        defer { emulator.signal(SIGTERM) }
        let client = try Self.client(emulator)
        let blocked = BlockedCount()

        let succeeded = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<Self.taskCount {
                group.addTask {
                    var ok = 0
                    for _ in 0..<10 {
                        var out: UnsafeMutablePointer<CChar>?
                        let code = blocked.during { cfcerts_list_page(&out, client.pointer, Self.zone, nil) }
                        if code == CFCERTS_OK, let out, String(cString: out).contains("\"result_info\"") { ok += 1 }
                        cfcerts_string_free(out)
                    }
                    return ok
                }
            }
            return await group.reduce(0, +)
        }
        #expect(succeeded == Self.taskCount * 10)
        #expect(blocked.most >= ProcessInfo.processInfo.activeProcessorCount)
        cfcerts_client_free(client.pointer)
    }

    @Test("many tasks iterating with prefetch at once, every cooperative thread blocked, all complete")
    func iteratorsFromManyTasks() async throws {
        let watchdog = Watchdog(seconds: 120, what: "cfcerts_iter_next from \(Self.taskCount) tasks")
        defer { watchdog.disarm() }
        let emulator = try EmulatorProcess(["--port", "0", "--ca-key", "p256", "--no-rate-limit"])
        defer { emulator.signal(SIGTERM) }
        try Self.seed(emulator, count: 40)
        let client = try Self.client(emulator)
        let blocked = BlockedCount()
        // Seeded certificates are signed on first read: sign them now, one request, so that the tasks below wait on
        // the bridge and not on the emulator's CA (under ThreadSanitizer, 40 signings from 12 requests at once outlast
        // a 60 s attempt).
        var warm: UnsafeMutablePointer<CChar>?
        try #require(cfcerts_list_page(&warm, client.pointer, Self.zone, #"{"per_page": 50}"#) == CFCERTS_OK)
        cfcerts_string_free(warm)

        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<Self.taskCount {
                group.addTask {
                    var iterator: OpaquePointer?
                    guard cfcerts_iter_new(&iterator, client.pointer, Self.zone, #"{"per_page": 5, "prefetch_pages": 2}"#) == CFCERTS_OK
                    else { return -1 }
                    var count = 0
                    var out: UnsafeMutablePointer<CChar>?
                    while blocked.during({ cfcerts_iter_next(&out, iterator) }) == CFCERTS_OK {
                        count += 1
                        cfcerts_string_free(out)
                    }
                    cfcerts_iter_free(iterator)
                    return count
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts == Array(repeating: 40, count: Self.taskCount))
        #expect(blocked.most >= ProcessInfo.processInfo.activeProcessorCount)
        cfcerts_client_free(client.pointer)
    }

    @Test("many tasks whose calls back off and retry at once, every cooperative thread blocked, all complete")
    func retriesFromManyTasks() async throws {
        let watchdog = Watchdog(seconds: 120, what: "retrying cfcerts_list_page from \(Self.taskCount) tasks")
        defer { watchdog.disarm() }
        let emulator = try EmulatorProcess(["--port", "0", "--ca-key", "p256", "--no-rate-limit"])
        defer { emulator.signal(SIGTERM) }
        // Each task's first request is answered 503: every call sleeps through a backoff, then retries. The server
        // asks for 50 ms, so the pool is not kept blocked for the default backoff (other suites share it).
        try Self.control(emulator, "/faults", #"{"kind": "status", "status": 503, "count": \#(Self.taskCount), "headers": {"retry-after-ms": "50"}}"#)
        let client = try Self.client(emulator, maxRetries: 10)
        let blocked = BlockedCount()

        let succeeded = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<Self.taskCount {
                group.addTask {
                    var out: UnsafeMutablePointer<CChar>?
                    let code = blocked.during { cfcerts_list_page(&out, client.pointer, Self.zone, nil) }
                    cfcerts_string_free(out)
                    return code == CFCERTS_OK ? 1 : 0
                }
            }
            return await group.reduce(0, +)
        }
        #expect(succeeded == Self.taskCount)
        #expect(blocked.most >= ProcessInfo.processInfo.activeProcessorCount)
        cfcerts_client_free(client.pointer)
    }

    @Test("timeouts end calls to a server that never answers while every cooperative thread is blocked")
    func deadlinesWithoutThePool() async throws {
        // Each call waits for an answer that never comes; its end must not depend on Swift's global pool, which
        // these very calls keep blocked (async-http-client cancels a request through a task on that pool).
        let watchdog = Watchdog(seconds: 120, what: "timeouts against a black hole from \(Self.taskCount) tasks")
        defer { watchdog.disarm() }
        let blackHole = try BlackHole()
        let client = try Self.client(baseURL: blackHole.baseURL, maxRetries: CFCERTS_NO_RETRIES, requestTimeoutMs: 300)
        let blocked = BlockedCount()

        let outcomes = await withTaskGroup(of: (code: Int32, seconds: Double).self) { group in
            for _ in 0..<Self.taskCount {
                group.addTask {
                    var out: UnsafeMutablePointer<CChar>?
                    let started = Date()
                    let code = blocked.during { cfcerts_get(&out, client.pointer, Self.zone, "any") }
                    cfcerts_string_free(out)
                    return (code, Date().timeIntervalSince(started))
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.map(\.code) == Array(repeating: CFCERTS_ETIMEOUT, count: Self.taskCount))
        // 0.3 s each; a loaded machine gets ten times that.
        #expect(outcomes.allSatisfy { $0.seconds < 3 }, "\(outcomes.map(\.seconds))")
        #expect(blocked.most >= ProcessInfo.processInfo.activeProcessorCount)
        cfcerts_client_free(client.pointer)
    }

    static func client(_ emulator: EmulatorProcess, maxRetries: Int32 = 0) throws -> SharedHandle {
        try client(baseURL: emulator.baseURL, maxRetries: maxRetries)
    }

    static func client(baseURL url: String, maxRetries: Int32 = 0, requestTimeoutMs: Int32 = 0) throws -> SharedHandle {
        var options = cfcerts_client_options()
        #expect(cfcerts_client_options_init(&options, UInt32(CFCERTS_CLIENT_OPTIONS_VERSION)) == CFCERTS_OK)
        options.max_retries = maxRetries
        options.request_timeout_ms = requestTimeoutMs
        let token = strdup("cfcerts-emulator-token")
        let baseURL = strdup(url)
        defer {
            free(token)
            free(baseURL)
        }
        options.api_token = UnsafePointer(token)
        options.base_url = UnsafePointer(baseURL)
        var client: OpaquePointer?
        try #require(cfcerts_client_new(&client, &options) == CFCERTS_OK)
        return SharedHandle(pointer: client)
    }

    static func seed(_ emulator: EmulatorProcess, count: Int) throws {
        try control(emulator, "/zones/\(zone)/seed", #"{"count": \#(count)}"#)
    }

    /// POSTs `body` to the emulator control at `path` (under /__emulator).
    static func control(_ emulator: EmulatorProcess, _ path: String, _ body: String) throws {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "-X", "POST", "-H", "Content-Type: application/json", "--data", body,
                          emulator.baseURL.replacingOccurrences(of: "/client/v4", with: "/__emulator" + path)]
        curl.standardOutput = FileHandle.nullDevice
        try curl.run()
        curl.waitUntilExit()
        try #require(curl.terminationStatus == 0)
    }
}

/// How many calls are blocked at once, and the most there ever were.
///
/// The first callers are held until as many are blocked at once as the cooperative pool is wide (30 s at most):
/// under plain `swift test` other suites share the pool, and the premise "every cooperative thread blocked" must
/// not depend on how they happen to be scheduled.
final class BlockedCount: @unchecked Sendable {
    private let condition = NSCondition()
    private let width = ProcessInfo.processInfo.activeProcessorCount
    private var gathered = false
    private var now = 0
    private(set) var most = 0

    func during<T>(_ call: () -> T) -> T {
        condition.withLock {
            now += 1
            most = max(most, now)
            if most >= width {
                gathered = true
                condition.broadcast()
            }
            let giveUp = Date().addingTimeInterval(30)
            while !gathered, condition.wait(until: giveUp) {}
        }
        defer { condition.withLock { now -= 1 } }
        return call()
    }
}

/// Ends the process with a message if not disarmed in time: a deadlock must fail the run, not hang it.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var armed = true

    init(seconds: UInt32, what: String) {
        Thread.detachNewThread { [self] in
            sleep(seconds)
            guard lock.withLock({ armed }) else { return }
            FileHandle.standardError.write(Data("DEADLOCK: \(what) did not complete in \(seconds) s\n".utf8))
            exit(3)
        }
    }

    func disarm() { lock.withLock { armed = false } }
}

extension BlockingBridgeTests {
    @Test("the last error belongs to the calling thread")
    func lastErrorPerThread() {
        var out: UnsafeMutablePointer<CChar>?
        #expect(cfcerts_csr_generate(&out, "{\"common_name\": 1}") == CFCERTS_EINVAL)
        #expect(String(cString: cfcerts_error_last().pointee.message).contains("common_name"))

        final class Seen: @unchecked Sendable { var code: Int32 = 12345 }
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            seen.code = cfcerts_error_last().pointee.code
            done.signal()
        }
        done.wait()
        #expect(seen.code == CFCERTS_OK)
        #expect(cfcerts_error_last().pointee.code == CFCERTS_EINVAL)
    }
}
