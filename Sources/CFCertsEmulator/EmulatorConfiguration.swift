import Foundation

/// The key algorithm of the emulator's CA. RSA-2048 by default, so `signature` reads `SHA256WithRSA` as on
/// Cloudflare; P-256 signs faster.
public enum CAKeyType: String, Sendable, Codable, CaseIterable {
    case rsa2048
    case p256
}

/// A per-credential request budget: `limit` requests per fixed `window`.
public struct RateLimitPolicy: Sendable, Equatable {
    public var limit: Int
    public var window: Duration

    public init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// The API's budget: 1200 requests per five minutes per credential.
    public static let cloudflare = RateLimitPolicy(limit: 1200, window: .seconds(300))
}

/// An accepted `X-Auth-Email` + `X-Auth-Key` pair.
public struct APIKeyCredential: Sendable, Equatable {
    public var email: String
    public var key: String

    public init(email: String, key: String) {
        self.email = email
        self.key = key
    }
}

/// How an emulator listens and behaves. Every default is the documented one.
public struct EmulatorConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`.
    public var host = "127.0.0.1"
    /// Port to bind; 0 (the default) picks a free one.
    public var port = 0
    /// Accepted `Authorization: Bearer` tokens. Default: `EmulatorConfiguration.defaultToken`.
    public var tokens: [String] = [Self.defaultToken]
    /// Accepted `Authorization: Bearer` tokens that may only read (list and get): like a token with only the
    /// "SSL and Certificates Read" permission, they are refused create, revoke and reactivate with 403 code 10000,
    /// as the API refuses them. Default: `defaultReadOnlyToken`.
    public var readOnlyTokens: [String] = [Self.defaultReadOnlyToken]
    /// Accepted `X-Auth-Email` + `X-Auth-Key` pairs. Default: `defaultEmail` + `defaultAPIKey`.
    public var apiKeys: [APIKeyCredential] = [APIKeyCredential(email: Self.defaultEmail, key: Self.defaultAPIKey)]
    /// Accepted `X-Auth-User-Service-Key` values. Default: `defaultServiceKey`.
    public var serviceKeys: [String] = [Self.defaultServiceKey]
    /// How long `pending_revocation` and `pending_reactivation` last. Default 5 s; zero settles at once.
    public var transitionDelay: Duration = .seconds(5)
    /// The request budget per credential; nil turns rate limiting off. Default: Cloudflare's 1200 per 5 minutes.
    public var rateLimit: RateLimitPolicy? = .cloudflare
    /// A file that keeps the CA and every certificate across restarts. Default nil (in memory only).
    public var statePath: String?
    /// The CA's key algorithm (used when a new CA is made). Default RSA-2048.
    public var caKeyType: CAKeyType = .rsa2048
    /// The largest request body accepted. Default 1 MiB.
    public var maxBodySize = 1 << 20
    /// Seeding stops short of filling a zone past this many certificates. Default 1,000,000.
    public var maxCertificatesPerZone = 1_000_000
    /// Serve the test controls under `/__emulator/` although `host` is not a loopback address (anyone who can
    /// reach the port can then reset the emulator, or read its request log). Default false: with a non-loopback
    /// host the controls answer 403.
    public var allowRemoteControls = false
    /// Serve the mTLS gateway on this port (0: a free one); nil: no gateway.
    public var mtlsPort: Int?
    /// What the gateway lets through.
    public var mtlsRule: MTLSRule = .requireVerified
    /// Where the gateway asks for a client certificate and applies its rule. Default `.associated`, as the edge.
    public var mtlsEnforce: MTLSEnforcement = .associated
    /// Proxy passing gateway requests to this origin (`http://` or `https://` URL) instead of answering them.
    public var mtlsUpstream: String?

    public init() {}

    /// Whether `/__emulator/` is served: always on a loopback host, elsewhere only when allowed.
    public var controlsEnabled: Bool { Self.isLoopback(host) || allowRemoteControls }

    /// `127.0.0.0/8`, `::1` and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.lowercased().filter { $0 != "[" && $0 != "]" }
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The longest transition delay and rate-limit window (a year).
    public static let longestDuration: Duration = .seconds(365 * 86_400)
    /// The largest rate-limit budget.
    public static let largestRateLimit = 1_000_000_000

    /// A value out of range, named.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Refuses values the emulator cannot honour (they would overflow a clock or a counter).
    public func validate() throws(Invalid) {
        guard (0...65535).contains(port) else { throw Invalid(description: "port must be from 0 to 65535") }
        guard transitionDelay >= .zero, transitionDelay <= Self.longestDuration else {
            throw Invalid(description: "the transition delay must be from 0 to \(Self.longestDuration)")
        }
        if let rateLimit {
            guard (1...Self.largestRateLimit).contains(rateLimit.limit) else {
                throw Invalid(description: "the rate limit must allow 1 to \(Self.largestRateLimit) requests")
            }
            guard rateLimit.window >= .seconds(1), rateLimit.window <= Self.longestDuration else {
                throw Invalid(description: "the rate-limit window must be from 1 s to \(Self.longestDuration)")
            }
        }
        guard maxBodySize > 0, maxBodySize <= 1 << 30 else { throw Invalid(description: "maxBodySize must be from 1 byte to 1 GiB") }
        // A credential the authentication check would refuse could never be used: refused at start instead.
        for token in tokens + readOnlyTokens where !CredentialShape.isToken(token) {
            throw Invalid(description: "--token / --read-only-token: '\(token.prefix(40))' cannot be sent as a Bearer token (letters, digits and -._~+/= only)")
        }
        for credential in apiKeys {
            guard CredentialShape.isEmail(credential.email) else {
                throw Invalid(description: "--api-key: '\(credential.email.prefix(64))' is not an email address (EMAIL:KEY)")
            }
            guard CredentialShape.isKey(credential.key) else {
                throw Invalid(description: "--api-key: the key of \(credential.email.prefix(64)) must be letters and digits only (EMAIL:KEY)")
            }
        }
        if let mtlsPort, !(0...65535).contains(mtlsPort) { throw Invalid(description: "the mTLS port must be from 0 to 65535") }
        if let mtlsUpstream {
            guard let url = URL(string: mtlsUpstream), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                  url.host != nil, url.user == nil, url.password == nil
            else { throw Invalid(description: "the mTLS upstream must be an http:// or https:// URL without credentials") }
        }
    }

    public static let defaultToken = "cfcerts-emulator-token"
    public static let defaultReadOnlyToken = "cfcerts-emulator-read-only-token"
    public static let defaultEmail = "emulator@example.com"
    public static let defaultAPIKey = "0123456789abcdef0123456789abcdef01234"
    public static let defaultServiceKey = "v1.0-cfcerts-emulator-service-key"
}
