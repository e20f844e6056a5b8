import HTTPTypes
import Foundation

/// An error the emulator answers with: an HTTP status and one entry of the envelope's `errors[]`.
///
/// Every code the emulator uses is defined here, and listed in the README's emulator section.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: Int
    var message: String
    /// JSON pointer into the request body or query (`/csr`, `/validity_days`), as Cloudflare's `source.pointer`.
    var pointer: String?
    /// Extra headers for this error (`Retry-After` on 429).
    var headers: HTTPFields = [:]

    // MARK: Request validation (400)
    static func malformedJSON() -> APIError {
        .init(status: .badRequest, code: 1001, message: "Malformed JSON in request body")
    }
    static func missingField(_ name: String) -> APIError {
        .init(status: .badRequest, code: 1002, message: "Missing required field '\(name)'", pointer: "/\(name)")
    }
    static func invalidCSR(_ reason: String) -> APIError {
        .init(status: .badRequest, code: 1003, message: "Invalid CSR: \(reason)", pointer: "/csr")
    }
    static func csrSignatureInvalid() -> APIError {
        .init(status: .badRequest, code: 1004, message: "The CSR signature does not verify against its public key",
              pointer: "/csr")
    }
    static func invalidValidityDays(_ reason: String) -> APIError {
        .init(status: .badRequest, code: 1005,
              message: "validity_days \(reason); it must be an integer from \(validityDaysRange.lowerBound) to \(validityDaysRange.upperBound)",
              pointer: "/validity_days")
    }
    static func invalidQuery(_ name: String, _ reason: String) -> APIError {
        .init(status: .badRequest, code: 1006, message: "Invalid query parameter '\(name)': \(reason)", pointer: "/\(name)")
    }
    static func bodyTooLarge(limit: Int) -> APIError {
        .init(status: .badRequest, code: 1007, message: "Request body larger than \(limit) bytes")
    }
    static func invalidField(_ name: String, _ reason: String) -> APIError {
        .init(status: .badRequest, code: 1008, message: "Invalid field '\(name)': \(reason)", pointer: "/\(name)")
    }
    static func cannotReactivate(status: String) -> APIError {
        .init(status: .badRequest, code: 1009,
              message: "Only a certificate in pending_revocation can be reactivated; this one is \(status)")
    }
    static func cannotRevoke(status: String) -> APIError {
        .init(status: .badRequest, code: 1010, message: "Only an active certificate can be revoked; this one is \(status)")
    }

    // MARK: Routing
    static func certificateNotFound() -> APIError {
        .init(status: .notFound, code: 1404, message: "Client certificate not found")
    }
    static func noRoute() -> APIError {
        .init(status: .badRequest, code: 7000, message: "No route for that URI")
    }
    /// With the `Allow` header RFC 9110 asks of a 405: the methods the resource has.
    static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> APIError {
        .init(status: .methodNotAllowed, code: 7001, message: "Method not allowed for this endpoint",
              headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")])
    }
    static func invalidZone(_ path: String) -> APIError {
        .init(status: .badRequest, code: 7003,
              message: "Could not route to \(path), perhaps your object identifier is invalid?")
    }

    // MARK: Authentication
    static func missingCredentials(header: String? = nil) -> APIError {
        .init(status: .badRequest, code: 9106,
              message: header.map { "Missing \($0) header" } ?? "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
    }
    static func internalError(_ reason: String) -> APIError {
        .init(status: .internalServerError, code: 1500, message: "Internal error: \(reason)")
    }
    static func malformedCredentials(_ header: String) -> APIError {
        .init(status: .badRequest, code: 6003, message: "Invalid request headers: invalid format for \(header) header")
    }
    static func unknownCredentials() -> APIError {
        .init(status: .forbidden, code: 10000, message: "Authentication error")
    }

    // MARK: Rate limit
    static func rateLimited(retryAfter: Int) -> APIError {
        .init(status: .tooManyRequests, code: 971,
              message: "Please wait and consider throttling your request speed",
              headers: [.retryAfter: String(retryAfter)])
    }

    /// The accepted `validity_days` (one day to ten years, the dashboard's longest choice).
    static let validityDaysRange = 1...3650
}
