#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one error type of cfcerts: what kind of failure, and everything Cloudflare said about it.
///
/// Two errors are `==` when their kinds are, so tests and callers can match on `kind` alone.
/// Descriptions never hold a credential.
public struct CFCertsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, coarsely: the branch a caller takes.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String, Hashable, Sendable {
            case api, authentication, permission, notFound = "not found", rateLimited = "rate limited"
            case connection, timeout, decoding, invalidArgument = "invalid argument", cancelled
            case inUse = "in use"
        }
        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// The API answered with an error not covered by a more specific kind (validation, 5xx, `success:false`).
        public static let api = Kind(.api)
        /// Credentials missing, malformed or unknown (HTTP 401, or 400/403 with an authentication code).
        public static let authentication = Kind(.authentication)
        /// The credentials are valid but may not do this (HTTP 403).
        public static let permission = Kind(.permission)
        /// The zone or certificate does not exist (HTTP 404).
        public static let notFound = Kind(.notFound)
        /// HTTP 429 after every allowed retry.
        public static let rateLimited = Kind(.rateLimited)
        /// The server could not be reached, or the connection broke.
        public static let connection = Kind(.connection)
        /// No answer within the configured timeout.
        public static let timeout = Kind(.timeout)
        /// The answer was not the JSON the API documents.
        public static let decoding = Kind(.decoding)
        /// A parameter was refused before any request was sent.
        public static let invalidArgument = Kind(.invalidArgument)
        /// The calling task was cancelled.
        public static let cancelled = Kind(.cancelled)
        /// Something the call must hold alone is held by another run: a bulk journal another run (in this process
        /// or another) is writing. Nothing was sent.
        public static let inUse = Kind(.inUse)

        public var description: String { code.rawValue }
    }

    /// The branch a caller takes; `==` compares only this.
    public let kind: Kind
    /// A one-line explanation, free of secrets.
    public let message: String
    /// The HTTP status, when the server answered.
    public let httpStatus: Int?
    /// Cloudflare's `errors[]`, as sent.
    public let cloudflareErrors: [CloudflareMessage]
    /// The `cf-ray` header of the failed response, for Cloudflare support.
    public let rayID: String?
    /// The delay the server asked for (`Retry-After`), when it did.
    public let retryAfter: Duration?
    /// The write this error ends may have been carried out all the same: an attempt's answer was lost (a timeout,
    /// a connection broken after sending, an edge's 5xx) and nothing read since told whether it was done. Look
    /// before sending it again (a revoke: read the certificate; a create: find its CSR in a listing). Default false.
    public let outcomeUnknown: Bool

    public init(kind: Kind, message: String, httpStatus: Int? = nil, cloudflareErrors: [CloudflareMessage] = [],
                rayID: String? = nil, retryAfter: Duration? = nil, outcomeUnknown: Bool = false) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.cloudflareErrors = cloudflareErrors
        self.rayID = rayID
        self.retryAfter = retryAfter
        self.outcomeUnknown = outcomeUnknown
    }

    /// This error, marked as ending a write whose outcome is unknown.
    func withOutcomeUnknown() -> CFCertsError {
        CFCertsError(kind: kind, message: message, httpStatus: httpStatus, cloudflareErrors: cloudflareErrors,
                     rayID: rayID, retryAfter: retryAfter, outcomeUnknown: true)
    }

    public static func == (lhs: CFCertsError, rhs: CFCertsError) -> Bool { lhs.kind == rhs.kind }

    public var description: String {
        var text = "cfcerts \(kind) error"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        text += ": " + message
        if let rayID { text += " [cf-ray \(rayID)]" }
        return text
    }

    static func invalidArgument(_ message: String) -> CFCertsError {
        CFCertsError(kind: .invalidArgument, message: message)
    }

    static func cancelled() -> CFCertsError {
        CFCertsError(kind: .cancelled, message: "the task was cancelled")
    }

    /// The server answered and refused the request (a 4XX other than 408, 409 and 429): it was not carried out,
    /// and sending it again unchanged would be refused again.
    var isRefusal: Bool {
        guard !outcomeUnknown, let status = httpStatus else { return false }
        return (400..<500).contains(status) && ![408, 409, 429].contains(status)
    }
}

/// One entry of Cloudflare's `errors[]` or `messages[]`.
public struct CloudflareMessage: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        public var pointer: String?
    }

    /// Cloudflare's error code (the emulator's are listed in the README).
    public var code: Int
    public var message: String
    public var documentationURL: String?
    /// Where in the request the problem is (`source.pointer`, a JSON pointer such as `/csr`).
    public var source: Source?

    enum CodingKeys: String, CodingKey {
        case code, message, source
        case documentationURL = "documentation_url"
    }

    public init(code: Int, message: String, documentationURL: String? = nil, source: Source? = nil) {
        self.code = code
        self.message = message
        self.documentationURL = documentationURL
        self.source = source
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Tolerate a string code or a missing message rather than losing the whole error.
        if let number = try? container.decode(Int.self, forKey: .code) {
            code = number
        } else {
            code = Int((try? container.decode(String.self, forKey: .code)) ?? "") ?? 0
        }
        message = (try? container.decode(String.self, forKey: .message)) ?? ""
        documentationURL = try? container.decodeIfPresent(String.self, forKey: .documentationURL)
        source = try? container.decodeIfPresent(Source.self, forKey: .source)
    }
}
