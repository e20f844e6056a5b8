import CCFCerts
import CFCerts
import Synchronization

/// What a `cfcerts_client *` points to. Counted users (the handle itself and each iterator) decide when the
/// connection pool is shut down: by whichever call lets go last, and before that call returns.
final class ClientHandle: Sendable {
    let client: CFCertsClient
    private let users = Atomic<Int>(1)

    init(client: CFCertsClient) { self.client = client }

    func retainUse() { users.wrappingAdd(1, ordering: .relaxed) }

    /// Drops one use; the last one shuts the client down (blocking) and frees the handle.
    func releaseUse() {
        guard users.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        let client = self.client
        BlockingBridge.run { try? await client.shutdown() }
        Unmanaged.passUnretained(self).release()
    }

    static func from(_ pointer: OpaquePointer?) throws(CFCertsError) -> ClientHandle {
        guard let pointer else { throw Arguments.invalid("client is NULL") }
        return Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    /// Runs an operation of the async core and waits for it.
    func run<T: Sendable>(_ operation: @escaping @Sendable (CFCertsClient) async throws(CFCertsError) -> T)
        throws(CFCertsError) -> T
    {
        let client = self.client
        let result: Result<T, CFCertsError> = BlockingBridge.run {
            do throws(CFCertsError) {
                return .success(try await operation(client))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

@c @implementation
public func cfcerts_client_options_init(_ opts: UnsafeMutablePointer<cfcerts_client_options>?, _ version: UInt32) -> Int32 {
    guard let opts else { return LastError.invalid("opts is NULL") }
    guard let size = ClientOptions.size(ofVersion: version) else {
        return LastError.invalid("unknown options version \(version) (this library knows 1 to \(CFCERTS_CLIENT_OPTIONS_VERSION))")
    }
    // Only the fields of that version: a caller built against an older header has a shorter struct.
    var defaults = cfcerts_client_options()
    defaults.version = version
    defaults.max_retries = version == 1 ? -1 : 0
    withUnsafePointer(to: &defaults) { UnsafeMutableRawPointer(opts).copyMemory(from: $0, byteCount: size) }
    return CFCERTS_OK
}

@c @implementation
public func cfcerts_client_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opts: UnsafePointer<cfcerts_client_options>?) -> Int32 {
    handOutObject(out) { () throws(CFCertsError) -> AnyObject in
        let configuration = try ClientOptions.configuration(from: opts)
        return ClientHandle(client: try CFCertsClient(configuration: configuration))
    }
}

@c @implementation
public func cfcerts_client_free(_ client: OpaquePointer?) {
    guard let handle = try? ClientHandle.from(client) else { return }
    handle.releaseUse()
}

/// `cfcerts_client_options` -> `Configuration`: only translation; the core decides precedence and checks values.
enum ClientOptions {
    /// How many bytes of the struct each version has: version 1 ends before `total_timeout_ms`, version 2 before
    /// `pacing_requests`.
    static func size(ofVersion version: UInt32) -> Int? {
        switch version {
        case 1: MemoryLayout<cfcerts_client_options>.offset(of: \.total_timeout_ms)
        case 2: MemoryLayout<cfcerts_client_options>.offset(of: \.pacing_requests)
        case 3: MemoryLayout<cfcerts_client_options>.size
        default: nil
        }
    }

    /// Reads the version first, then only that version's fields; later fields keep their zero defaults.
    static func read(_ pointer: UnsafePointer<cfcerts_client_options>) throws(CFCertsError) -> cfcerts_client_options {
        let version = UnsafeRawPointer(pointer).loadUnaligned(as: UInt32.self)
        guard let size = size(ofVersion: version) else {
            throw Arguments.invalid("opts->version is \(version); initialise the options with CFCERTS_CLIENT_OPTIONS_INIT")
        }
        var options = cfcerts_client_options()
        withUnsafeMutablePointer(to: &options) { UnsafeMutableRawPointer($0).copyMemory(from: pointer, byteCount: size) }
        return options
    }

    static func configuration(from pointer: UnsafePointer<cfcerts_client_options>?) throws(CFCertsError) -> Configuration {
        guard let pointer else { return try Configuration.fromEnvironment() }
        let options = try read(pointer)
        func text(_ pointer: UnsafePointer<CChar>?, _ name: String) throws(CFCertsError) -> String? {
            guard pointer != nil else { return nil }
            return try Arguments.string(pointer, name: "opts->\(name)")
        }
        let credentials = try Credentials.explicit(
            apiToken: try text(options.api_token, "api_token"), apiEmail: try text(options.api_email, "api_email"),
            apiKey: try text(options.api_key, "api_key"), userServiceKey: try text(options.user_service_key, "user_service_key"))
        var configuration = try Configuration.resolving(credentials: credentials, baseURL: try text(options.base_url, "base_url"))
        guard options.connect_timeout_ms >= 0, options.request_timeout_ms >= 0, options.total_timeout_ms >= 0 else {
            throw Arguments.invalid("timeouts may not be negative")
        }
        if options.connect_timeout_ms > 0 { configuration.connectTimeout = .milliseconds(options.connect_timeout_ms) }
        if options.request_timeout_ms > 0 { configuration.requestTimeout = .milliseconds(options.request_timeout_ms) }
        if options.total_timeout_ms > 0 { configuration.totalTimeout = .milliseconds(options.total_timeout_ms) }
        configuration.maxRetries = try maxRetries(options)
        configuration.userAgentSuffix = try text(options.user_agent_suffix, "user_agent_suffix")
        configuration.allowInsecureHTTP = options.allow_insecure_http != 0
        configuration.pacing = pacing(options)
        return configuration
    }

    /// Versions 1 and 2 (zeroed fields) get the default. 0/0: Cloudflare's budget; CFCERTS_PACING_OFF: off;
    /// anything else a configured budget, which the core checks when the client is made.
    private static func pacing(_ options: cfcerts_client_options) -> Pacing {
        switch (options.pacing_requests, options.pacing_window_seconds) {
        case (0, 0): .cloudflare
        case (CFCERTS_PACING_OFF, 0): .off
        default: .budget(requests: Int(options.pacing_requests), per: .seconds(Int64(options.pacing_window_seconds)))
        }
    }

    /// Version 1: -1 is the default, 0...10 a count. Version 2: 0 is the default (like every other field),
    /// CFCERTS_NO_RETRIES none, 1...10 a count.
    private static func maxRetries(_ options: cfcerts_client_options) throws(CFCertsError) -> Int {
        let value = Int(options.max_retries)
        let defaultRetries = Configuration.defaultMaxRetries
        if options.version == 1 {
            guard value == -1 || (0...10).contains(value) else { throw Arguments.invalid("opts->max_retries must be -1 or 0..10") }
            return value == -1 ? defaultRetries : value
        }
        switch value {
        case 0: return defaultRetries
        case Int(CFCERTS_NO_RETRIES): return 0
        case 1...10: return value
        default: throw Arguments.invalid("opts->max_retries must be 0 (default), CFCERTS_NO_RETRIES or 1..10")
        }
    }
}
