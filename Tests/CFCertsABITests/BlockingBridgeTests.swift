import CCFCerts
import CFCertsABI
import CFCertsTestSupport
import Foundation
import Testing

/// The C functions called from Swift tasks: a program may call the C API from async code, blocking cooperative
/// threads. The bridge runs the core on its own threads, so even every cooperative thread blocked at once
/// (two on a two-core machine) cannot stop the calls from finishing.
@Suite("C ABI called from Swift tasks")
struct BlockingBridgeTests {
    /// A client handle shared by tasks (the header says a client may be shared by threads).
    struct SharedClient: @unchecked Sendable {
        let pointer: OpaquePointer?
    }

    // With a plain Task.detached + semaphore bridge this test hangs (checked by hand): the time limit ends it.
    @Test("8 tasks x 10 blocking calls at once, on a 2-thread cooperative pool, all complete", .timeLimit(.minutes(2)))
    func callsFromManyTasks() async throws {
        // In its own process: an in-process server would need the very cooperative threads these calls block.
        let emulator = try EmulatorProcess(["--port", "0", "--ca-key", "p256", "--no-rate-limit"])
        defer { emulator.signal(SIGTERM) }

        var options = cfcerts_client_options()
        #expect(cfcerts_client_options_init(&options, UInt32(CFCERTS_CLIENT_OPTIONS_VERSION)) == CFCERTS_OK)
        let token = strdup("cfcerts-emulator-token")
        let baseURL = strdup(emulator.baseURL)
        defer {
            free(token)
            free(baseURL)
        }
        options.api_token = UnsafePointer(token)
        options.base_url = UnsafePointer(baseURL)
        var client: OpaquePointer?
        #expect(cfcerts_client_new(&client, &options) == CFCERTS_OK)
        let shared = SharedClient(pointer: client)

        let succeeded = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var ok = 0
                    for _ in 0..<10 {
                        var out: UnsafeMutablePointer<CChar>?
                        if cfcerts_list_page(&out, shared.pointer, "0123456789abcdef0123456789abcdef", nil) == CFCERTS_OK,
                           let out, String(cString: out).contains("\"result_info\"") {
                            ok += 1
                        }
                        cfcerts_string_free(out)
                    }
                    return ok
                }
            }
            return await group.reduce(0, +)
        }
        #expect(succeeded == 80)
        cfcerts_client_free(client)
    }

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
