import CFCerts

/// The documented exit statuses: the C API's codes without their sign, so scripts in any language share them.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case apiError = 1
    case invalidArgument = 2
    case notFound = 3
    case authentication = 4
    case permission = 5
    case rateLimited = 6
    case timeout = 7
    case connection = 8
    case decoding = 9
    /// A local file could not be read or written, or exists and --force was not given.
    case file = 10
    /// renew --revoke-old: the new certificate is saved, but revoking the old one failed.
    case revokeOldFailed = 11
    /// A bulk command: some items failed (each is reported); the others were done.
    case itemsFailed = 12
    /// renew --due: every due certificate is renewed, but a deploy hook failed (the next run runs it again).
    case hookFailed = 13
    /// Another run holds what this one needs alone (a bulk journal, a renewal folder): nothing was done; wait for
    /// it, or pass another.
    case inUse = 14
    case cancelled = 130

    init(_ error: CFCertsError) {
        self = switch error.kind {
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .authentication: .authentication
        case .permission: .permission
        case .rateLimited: .rateLimited
        case .timeout: .timeout
        case .connection: .connection
        case .decoding: .decoding
        case .cancelled: .cancelled
        case .inUse: .inUse
        default: .apiError
        }
    }

    var meaning: String {
        switch self {
        case .success: "success"
        case .apiError: "the API refused or failed the request"
        case .invalidArgument: "an argument was refused before any request"
        case .notFound: "zone or certificate not found"
        case .authentication: "credentials missing or not accepted"
        case .permission: "the credentials lack the permission"
        case .rateLimited: "rate limited after every retry"
        case .timeout: "no answer in time (or --wait ran out)"
        case .connection: "the server could not be reached"
        case .decoding: "the server's answer was not the API's JSON"
        case .file: "a local file could not be read or written, or exists"
        case .revokeOldFailed: "renew --revoke-old: the new certificate is saved, revoking the old one failed"
        case .itemsFailed: "some certificates of a bulk command (or renew --due) failed (each is reported), the others were done"
        case .hookFailed: "renew --due: a deploy hook failed (the certificates are renewed; the next run runs the hook again)"
        case .inUse: "the journal or renewal folder is in use by another run (nothing was done)"
        case .cancelled: "interrupted"
        }
    }

    /// For --help: "0 success, 1 ..., 2 ...".
    static var summary: String {
        allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ") + "; 64 usage error."
    }
}

/// A failure of the command itself (not of the API), with its exit status.
struct CLIFailure: Error {
    var message: String
    var status: ExitStatus

    init(_ message: String, status: ExitStatus = .invalidArgument) {
        self.message = message
        self.status = status
    }
}

enum ErrorReport {
    /// One readable line: the kind, the message, Cloudflare's codes and the ray id. Never a credential: the core's
    /// messages hold none, and Cloudflare's own messages are repeated only as codes and text.
    static func line(_ error: CFCertsError) -> String {
        var text = "\(error.kind)"
        if let status = error.httpStatus { text += " (HTTP \(status))" }
        text += ": \(error.message)"
        let unmentioned = error.cloudflareErrors.map(\.code).filter { !error.message.contains("(code \($0))") }
        if !unmentioned.isEmpty { text += " [Cloudflare code \(unmentioned.map(String.init).joined(separator: ", "))]" }
        if let ray = error.rayID { text += " [ray \(ray)]" }
        if let wait = error.retryAfter { text += " [retry after \(wait.components.seconds) s]" }
        if error.outcomeUnknown {
            text += "; no answer came, so it may have been done: look (cfcerts get, list) before doing it again, or run a bulk command again with the same --journal"
        }
        return text
    }
}
