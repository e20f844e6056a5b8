import CCFCerts
import CFCerts
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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

    /// A +1 pointer for C, balanced by the last `releaseUse()`.
    func retainedOpaquePointer() -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(self).toOpaque()) }

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
    guard version == UInt32(CFCERTS_CLIENT_OPTIONS_VERSION) else {
        return LastError.invalid("unknown options version \(version) (this library knows \(CFCERTS_CLIENT_OPTIONS_VERSION))")
    }
    opts.pointee = cfcerts_client_options(
        version: version, api_token: nil, api_email: nil, api_key: nil, user_service_key: nil, base_url: nil,
        connect_timeout_ms: 0, request_timeout_ms: 0, max_retries: -1, user_agent_suffix: nil, allow_insecure_http: 0)
    return CFCERTS_OK
}

@c @implementation
public func cfcerts_client_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opts: UnsafePointer<cfcerts_client_options>?) -> Int32 {
    guard let out else { return LastError.invalid("out is NULL") }
    out.pointee = nil
    do throws(CFCertsError) {
        let configuration = try ClientOptions.configuration(from: opts?.pointee)
        out.pointee = ClientHandle(client: try CFCertsClient(configuration: configuration)).retainedOpaquePointer()
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}

@c @implementation
public func cfcerts_client_free(_ client: OpaquePointer?) {
    guard let handle = try? ClientHandle.from(client) else { return }
    handle.releaseUse()
}

/// `cfcerts_client_options` -> `Configuration`.
enum ClientOptions {
    static func configuration(from options: cfcerts_client_options?) throws(CFCertsError) -> Configuration {
        let environment = ProcessInfo.processInfo.environment
        guard let options else { return try Configuration.fromEnvironment(environment) }
        guard options.version == UInt32(CFCERTS_CLIENT_OPTIONS_VERSION) else {
            throw Arguments.invalid("opts->version is \(options.version); initialise the options with CFCERTS_CLIENT_OPTIONS_INIT")
        }
        func text(_ pointer: UnsafePointer<CChar>?, _ name: String) throws(CFCertsError) -> String? {
            guard pointer != nil else { return nil }
            return try Arguments.string(pointer, name: "opts->\(name)")
        }
        let token = try text(options.api_token, "api_token")
        let email = try text(options.api_email, "api_email")
        let key = try text(options.api_key, "api_key")
        let serviceKey = try text(options.user_service_key, "user_service_key")
        let schemes = [token != nil, email != nil || key != nil, serviceKey != nil].filter { $0 }.count
        guard schemes <= 1 else {
            throw Arguments.invalid("set one credential scheme: api_token, or api_email + api_key, or user_service_key")
        }

        var configuration: Configuration
        if let token {
            configuration = Configuration(credentials: .apiToken(token))
        } else if email != nil || key != nil {
            guard let email, let key else { throw Arguments.invalid("api_email and api_key go together") }
            configuration = Configuration(credentials: .apiKey(email: email, key: key))
        } else if let serviceKey {
            configuration = Configuration(credentials: .userServiceKey(serviceKey))
        } else {
            var environmentOnly = environment
            environmentOnly["CLOUDFLARE_BASE_URL"] = nil  // the options' base URL, if any, wins below
            configuration = try Configuration.fromEnvironment(environmentOnly)
        }
        if let baseURL = try text(options.base_url, "base_url") {
            configuration.baseURL = baseURL
        } else if let baseURL = environment["CLOUDFLARE_BASE_URL"], !baseURL.isEmpty {
            configuration.baseURL = baseURL
        }
        guard options.connect_timeout_ms >= 0, options.request_timeout_ms >= 0 else {
            throw Arguments.invalid("timeouts may not be negative")
        }
        if options.connect_timeout_ms > 0 { configuration.connectTimeout = .milliseconds(Int(options.connect_timeout_ms)) }
        if options.request_timeout_ms > 0 { configuration.requestTimeout = .milliseconds(Int(options.request_timeout_ms)) }
        if options.max_retries != -1 {
            guard (0...10).contains(options.max_retries) else { throw Arguments.invalid("opts->max_retries must be -1 or 0..10") }
            configuration.maxRetries = Int(options.max_retries)
        }
        configuration.userAgentSuffix = try text(options.user_agent_suffix, "user_agent_suffix")
        configuration.allowInsecureHTTP = options.allow_insecure_http != 0
        return configuration
    }
}
