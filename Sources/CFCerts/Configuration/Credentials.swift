/// How requests authenticate. Exactly one scheme is sent with every request.
public enum Credentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `Authorization: Bearer <token>` — an API token (recommended).
    case apiToken(String)
    /// `X-Auth-Email` + `X-Auth-Key` — the legacy global API key.
    case apiKey(email: String, key: String)
    /// `X-Auth-User-Service-Key` — an Origin CA key.
    case userServiceKey(String)

    /// The headers this scheme sends (name, value).
    var headers: [(String, String)] {
        switch self {
        case .apiToken(let token): [("Authorization", "Bearer \(token)")]
        case .apiKey(let email, let key): [("X-Auth-Email", email), ("X-Auth-Key", key)]
        case .userServiceKey(let key): [("X-Auth-User-Service-Key", key)]
        }
    }

    /// Names of every header that carries a secret, redacted in logs whatever scheme is in use.
    static let secretHeaderNames: Set<String> = ["authorization", "x-auth-key", "x-auth-user-service-key"]

    /// The secrets themselves, so messages built from server text can be scrubbed of them.
    var secrets: [String] {
        switch self {
        case .apiToken(let token): [token]
        case .apiKey(_, let key): [key]
        case .userServiceKey(let key): [key]
        }
    }

    /// The scheme's name only: a description never shows a secret.
    public var description: String {
        switch self {
        case .apiToken: "Credentials.apiToken(<redacted>)"
        case .apiKey(let email, _): "Credentials.apiKey(email: \(email), key: <redacted>)"
        case .userServiceKey: "Credentials.userServiceKey(<redacted>)"
        }
    }

    public var debugDescription: String { description }

    /// What `dump()`, `Mirror` and debuggers show: the scheme and email, never a secret.
    public var customMirror: Mirror {
        switch self {
        case .apiToken: Mirror(self, children: ["token": "<redacted>"], displayStyle: .enum)
        case .apiKey(let email, _): Mirror(self, children: ["email": email, "key": "<redacted>"], displayStyle: .enum)
        case .userServiceKey: Mirror(self, children: ["key": "<redacted>"], displayStyle: .enum)
        }
    }

    /// Credentials from separately given values (as a C or Python caller passes them): nil when none is set;
    /// refused when more than one scheme is, or only half of the email + key pair.
    public static func explicit(apiToken: String?, apiEmail: String?, apiKey: String?, userServiceKey: String?)
        throws(CFCertsError) -> Credentials?
    {
        let schemes = [apiToken != nil, apiEmail != nil || apiKey != nil, userServiceKey != nil].filter { $0 }.count
        guard schemes <= 1 else {
            throw .invalidArgument("set one credential scheme: an API token, or an email + API key, or a user service key")
        }
        if let apiToken { return .apiToken(apiToken) }
        if apiEmail != nil || apiKey != nil {
            guard let apiEmail, let apiKey else { throw .invalidArgument("the API key and its email go together") }
            return .apiKey(email: apiEmail, key: apiKey)
        }
        return userServiceKey.map { .userServiceKey($0) }
    }

    /// The longest credential sent (Cloudflare's are 37 to about 200 characters; 8 KiB is a whole header line).
    static let maxLength = 8 * 1024

    func validate() throws(CFCertsError) {
        guard secrets.allSatisfy({ !$0.isEmpty }) else { throw .invalidArgument("the credential is empty") }
        for (name, value) in headers {
            guard value.utf8.count <= Self.maxLength else {
                throw .invalidArgument("the \(name) credential is longer than \(Self.maxLength) bytes")
            }
            guard !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) else {
                throw .invalidArgument("the \(name) credential is empty or holds characters not allowed in an HTTP header")
            }
        }
        if case .apiKey(let email, _) = self, !email.contains("@") {
            throw .invalidArgument("the API key's email is not an email address")
        }
    }
}
