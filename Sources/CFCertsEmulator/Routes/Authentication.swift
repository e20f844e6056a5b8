import Crypto
import Foundation
import HTTPTypes

/// The credential a request authenticated with.
struct Credential: Sendable {
    /// A key for per-credential rate limiting: a hash, so no secret is kept in memory longer than needed.
    let limiterKey: String
    /// False for a read-only token: create, revoke and reactivate are refused.
    var mayWrite = true
}

/// What a well-formed credential looks like: the authentication check answers 6003 to anything else, and the
/// configuration refuses at start a credential that could never pass it.
enum CredentialShape {
    static func isToken(_ token: some StringProtocol) -> Bool {
        !token.isEmpty && token.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~+/=".unicodeScalars.contains(scalar))
        }
    }

    static func isEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !email.contains(where: \.isWhitespace)
    }

    static func isKey(_ key: String) -> Bool {
        !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}

/// Checks request credentials the way the API does: exactly which header is missing, malformed or unknown.
struct Authenticator: Sendable {
    let configuration: EmulatorConfiguration

    static let email = HTTPField.Name("X-Auth-Email")!
    static let key = HTTPField.Name("X-Auth-Key")!
    static let serviceKey = HTTPField.Name("X-Auth-User-Service-Key")!

    func authenticate(_ headers: HTTPFields) throws(APIError) -> Credential {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", CredentialShape.isToken(parts[1]) else {
                throw .malformedCredentials("Authorization")
            }
            let token = String(parts[1])
            let mayWrite = configuration.tokens.contains(token)
            guard mayWrite || configuration.readOnlyTokens.contains(token) else { throw .unknownCredentials() }
            return Credential(limiterKey: Self.digest("bearer", token), mayWrite: mayWrite)
        }
        let email = headers[Self.email]
        let key = headers[Self.key]
        if email != nil || key != nil {
            guard let email else { throw APIError.missingCredentials(header: "X-Auth-Email") }
            guard let key else { throw APIError.missingCredentials(header: "X-Auth-Key") }
            guard CredentialShape.isEmail(email) else { throw .malformedCredentials("X-Auth-Email") }
            guard CredentialShape.isKey(key) else { throw .malformedCredentials("X-Auth-Key") }
            guard configuration.apiKeys.contains(APIKeyCredential(email: email, key: key)) else {
                throw .unknownCredentials()
            }
            return Credential(limiterKey: Self.digest("key", email.lowercased() + ":" + key))
        }
        if let serviceKey = headers[Self.serviceKey] {
            guard configuration.serviceKeys.contains(serviceKey) else { throw .unknownCredentials() }
            return Credential(limiterKey: Self.digest("service_key", serviceKey))
        }
        throw .missingCredentials()
    }

    /// The rate-limit key of whatever credential a request presents, valid or not (`anonymous` for none): the
    /// bucket whose state an answer reports when it is refused before authentication, or replaced by a fault.
    static func presentedKey(_ headers: HTTPFields) -> String {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            return digest("bearer", parts.count == 2 ? String(parts[1]) : authorization)
        }
        if let email = headers[email], let key = headers[key] { return digest("key", email.lowercased() + ":" + key) }
        if let serviceKey = headers[serviceKey] { return digest("service_key", serviceKey) }
        return "anonymous"
    }

    /// The credential headers a request carried, for the request log: `bearer`, `email`, `key`, `service_key`
    /// joined by `+`, or `none`. Names only, never values.
    static func schemes(_ headers: HTTPFields) -> String {
        var schemes: [String] = []
        if let authorization = headers[.authorization] {
            schemes.append(authorization.lowercased().hasPrefix("bearer ") ? "bearer" : "authorization")
        }
        if headers[email] != nil { schemes.append("email") }
        if headers[key] != nil { schemes.append("key") }
        if headers[serviceKey] != nil { schemes.append("service_key") }
        return schemes.isEmpty ? "none" : schemes.joined(separator: "+")
    }


    private static func digest(_ scheme: String, _ secret: String) -> String {
        scheme + ":" + Hex.encode(SHA256.hash(data: Data(secret.utf8)).prefix(16))
    }
}
