import CCFCerts
import CFCerts
import CFCertsABI
import CFCertsEmulator

/// The fuzz targets by name: each feeds one input to one parser of untrusted bytes, and must return.
enum FuzzTargets {
    static let names = ["list_answer", "single_answer", "retry_after", "csr_inspection", "pkcs12_bundle", "c_parameters",
                        "emulator_csr", "emulator_request"]

    static func target(named name: String) -> (([UInt8]) -> Void)? {
        switch name {
        case "list_answer": CoreFuzzEntryPoints.listAnswer
        case "single_answer": CoreFuzzEntryPoints.singleAnswer
        case "retry_after": CoreFuzzEntryPoints.retryAfter
        case "csr_inspection": CoreFuzzEntryPoints.csrInspection
        case "pkcs12_bundle": CoreFuzzEntryPoints.pkcs12Bundle
        case "c_parameters": CParameters.run
        case "emulator_csr": EmulatorFuzzEntryPoints.csr
        case "emulator_request": { EmulatorFuzzEntryPoints.request($0, emulator: SharedEmulator.instance) }
        default: nil
        }
    }
}

/// The emulator the request target serves with (in memory, no network).
enum SharedEmulator {
    static let instance: Emulator = {
        var configuration = EmulatorConfiguration()
        configuration.caKeyType = .p256
        configuration.transitionDelay = .zero
        return try! Emulator(configuration: configuration)  // a fixed, valid configuration: a fuzz harness only
    }()
}

/// The C ABI's JSON and string parameters, through the C functions themselves. The first byte picks the function,
/// the rest (up to a NUL) is its parameter. A client points at a closed loopback port, no retries, no pacing: a
/// valid parameter costs one refused connection.
enum CParameters {
    nonisolated(unsafe) static let client: OpaquePointer? = {
        var options = cfcerts_client_options()
        options.version = UInt32(CFCERTS_CLIENT_OPTIONS_VERSION)
        options.max_retries = CFCERTS_NO_RETRIES
        options.pacing_requests = CFCERTS_PACING_OFF
        options.connect_timeout_ms = 200
        var client: OpaquePointer?
        return "http://127.0.0.1:9/client/v4".withCString { url in
            "fuzz-token".withCString { token in
                options.base_url = url
                options.api_token = token
                _ = cfcerts_client_new(&client, &options)
                return client
            }
        }
    }()

    static func run(_ bytes: [UInt8]) {
        let selector = bytes.first ?? 0
        var text = Array(bytes.dropFirst().prefix { $0 != 0 }).map { CChar(bitPattern: $0) }
        text.append(0)
        let zone = "0123456789abcdef0123456789abcdef"
        var out: UnsafeMutablePointer<CChar>?
        text.withUnsafeBufferPointer { parameter in
            let value = parameter.baseAddress
            switch selector % 8 {
            case 0: _ = cfcerts_list_page(&out, client, zone, value)
            case 1: _ = cfcerts_create(&out, client, zone, value)
            case 2: _ = cfcerts_get(&out, client, zone, value)
            case 3: _ = cfcerts_csr_inspect(&out, value)
            case 4: _ = cfcerts_csr_generate(&out, value)
            case 5:
                var iterator: OpaquePointer?
                if cfcerts_iter_new(&iterator, client, zone, value) == CFCERTS_OK { cfcerts_iter_free(iterator) }
            case 6:
                var bulk: OpaquePointer?
                if cfcerts_bulk_new(&bulk, client, zone, value) == CFCERTS_OK { cfcerts_bulk_free(bulk) }
            default: _ = cfcerts_revoke(&out, client, value, "0123")
            }
        }
        cfcerts_string_free(out)
        _ = cfcerts_error_last()
    }
}
