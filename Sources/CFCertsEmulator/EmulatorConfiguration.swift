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

    public init() {}

    public static let defaultToken = "cfcerts-emulator-token"
    public static let defaultEmail = "emulator@example.com"
    public static let defaultAPIKey = "0123456789abcdef0123456789abcdef01234"
    public static let defaultServiceKey = "v1.0-cfcerts-emulator-service-key"
}
