#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension Configuration {
    /// The environment variables `fromEnvironment()` and `resolving()` read: the one list of their names.
    public enum EnvironmentVariable: String, CaseIterable, Sendable {
        case apiToken = "CLOUDFLARE_API_TOKEN"
        /// A file holding the token (one line): the way to keep the secret out of every process's environment
        /// (systemd's `LoadCredential=` hands the service such a file).
        case apiTokenFile = "CLOUDFLARE_API_TOKEN_FILE"
        case apiKey = "CLOUDFLARE_API_KEY"
        case email = "CLOUDFLARE_EMAIL"
        case userServiceKey = "CLOUDFLARE_API_USER_SERVICE_KEY"
        case baseURL = "CLOUDFLARE_BASE_URL"
        case log = "CLOUDFLARE_LOG"

        /// Whether it carries a credential or names the file that holds one: what a child process (a deploy hook)
        /// is never given.
        public var isCredential: Bool {
            switch self {
            case .apiToken, .apiTokenFile, .apiKey, .email, .userServiceKey: true
            case .baseURL, .log: false
            }
        }

        /// The names of the credential variables.
        public static let credentialNames: Set<String> = Set(allCases.filter(\.isCredential).map(\.rawValue))
    }

    /// A configuration from the official SDKs' environment variables, checked.
    ///
    /// Credentials, in order of precedence (exactly one scheme is ever sent):
    /// 1. `CLOUDFLARE_API_TOKEN`
    /// 2. `CLOUDFLARE_API_TOKEN_FILE`: the token is the file's one line (trailing white space dropped); a file that is
    ///    missing, empty, not a regular file, longer than 8 KiB or of more than one line is refused
    /// 3. `CLOUDFLARE_API_KEY` with `CLOUDFLARE_EMAIL` (both needed)
    /// 4. `CLOUDFLARE_API_USER_SERVICE_KEY`
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
        func value(_ variable: EnvironmentVariable) -> String? {
            guard let value = environment[variable.rawValue], !value.isEmpty else { return nil }
            return value
        }
        let resolved: Credentials
        if let credentials { resolved = credentials } else { resolved = try environmentCredentials(value) }
        return Configuration(
            credentials: resolved,
            baseURL: baseURL ?? value(.baseURL) ?? defaultBaseURL,
            logger: defaultLogger(environment: environment))
    }

    private static func environmentCredentials(_ value: (EnvironmentVariable) -> String?) throws(CFCertsError) -> Credentials {
        if let token = value(.apiToken) { return .apiToken(token) }
        if let file = value(.apiTokenFile) {
            return .apiToken(try Credentials.token(fromFile: file, named: EnvironmentVariable.apiTokenFile.rawValue))
        }
        if let key = value(.apiKey) {
            guard let email = value(.email) else {
                throw .invalidArgument("CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not")
            }
            return .apiKey(email: email, key: key)
        }
        if let serviceKey = value(.userServiceKey) { return .userServiceKey(serviceKey) }
        throw .invalidArgument(
            "no credentials: set CLOUDFLARE_API_TOKEN or CLOUDFLARE_API_TOKEN_FILE, or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL, or CLOUDFLARE_API_USER_SERVICE_KEY")
    }
}
