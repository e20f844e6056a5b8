#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Configuration {
    /// A configuration from the official SDKs' environment variables.
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
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let credentials: Credentials
        if let token = value("CLOUDFLARE_API_TOKEN") {
            credentials = .apiToken(token)
        } else if let key = value("CLOUDFLARE_API_KEY") {
            guard let email = value("CLOUDFLARE_EMAIL") else {
                throw .invalidArgument("CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not")
            }
            credentials = .apiKey(email: email, key: key)
        } else if let serviceKey = value("CLOUDFLARE_API_USER_SERVICE_KEY") {
            credentials = .userServiceKey(serviceKey)
        } else {
            throw .invalidArgument(
                "no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL, or CLOUDFLARE_API_USER_SERVICE_KEY")
        }
        var configuration = Configuration(
            credentials: credentials, baseURL: value("CLOUDFLARE_BASE_URL") ?? defaultBaseURL,
            logger: defaultLogger(environment: environment))
        try configuration.validate()
        configuration.baseURL = try BaseURL(configuration.baseURL, allowInsecureHTTP: false).string
        return configuration
    }
}
