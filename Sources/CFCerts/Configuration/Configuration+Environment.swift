#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Configuration {
    /// A configuration from the official SDKs' environment variables, checked.
    ///
    /// Credentials, in order of precedence (exactly one scheme is ever sent):
    /// 1. `CLOUDFLARE_API_TOKEN`
    /// 2. `CLOUDFLARE_API_KEY` with `CLOUDFLARE_EMAIL` (both needed)
    /// 3. `CLOUDFLARE_API_USER_SERVICE_KEY`
    ///
    /// `CLOUDFLARE_BASE_URL` overrides the base URL; `CLOUDFLARE_LOG=debug` turns on logging.
    /// Empty variables count as unset.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CFCertsError) -> Configuration
    {
        var configuration = try resolving(environment: environment)
        try configuration.validate()
        configuration.baseURL = try BaseURL(configuration.baseURL, allowInsecureHTTP: false).string
        return configuration
    }

    /// A configuration from explicit values, with the environment (read as `fromEnvironment()` reads it) for each
    /// one left nil. Checked when a `CFCertsClient` is made from it.
    public static func resolving(credentials: Credentials? = nil, baseURL: String? = nil,
                                 environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CFCertsError) -> Configuration
    {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let resolved: Credentials
        if let credentials { resolved = credentials } else { resolved = try environmentCredentials(value) }
        return Configuration(
            credentials: resolved,
            baseURL: baseURL ?? value("CLOUDFLARE_BASE_URL") ?? defaultBaseURL,
            logger: defaultLogger(environment: environment))
    }

    private static func environmentCredentials(_ value: (String) -> String?) throws(CFCertsError) -> Credentials {
        if let token = value("CLOUDFLARE_API_TOKEN") { return .apiToken(token) }
        if let key = value("CLOUDFLARE_API_KEY") {
            guard let email = value("CLOUDFLARE_EMAIL") else {
                throw .invalidArgument("CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not")
            }
            return .apiKey(email: email, key: key)
        }
        if let serviceKey = value("CLOUDFLARE_API_USER_SERVICE_KEY") { return .userServiceKey(serviceKey) }
        throw .invalidArgument(
            "no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL, or CLOUDFLARE_API_USER_SERVICE_KEY")
    }
}
