/// What Cloudflare's "Authentication error" (HTTP 403, code 10000) means for one operation.
///
/// Cloudflare answers a valid token that lacks the operation's permission exactly as it answers some invalid
/// credentials. Telling a user to replace a token that is fine is wrong half the time, so the error names both
/// causes and the permission group the operation needs; when the same credentials were already accepted (any
/// answer of this client that succeeded), the token is valid, and the error is a permission error.
enum PermissionHint {
    /// The permission groups of the API's token permissions.
    enum Access {
        case read, write

        var permissionGroup: String {
            switch self {
            case .read: "SSL and Certificates Read"
            case .write: "SSL and Certificates Write"
            }
        }
    }

    /// Cloudflare's code for "Authentication error".
    static let ambiguousCode = 10000

    /// `error` explained for `operation`; unchanged unless it is the ambiguous 403.
    static func explain(_ error: CFCertsError, operation: String, access: Access, credentialsAccepted: Bool)
        -> CFCertsError
    {
        guard error.kind == .authentication, error.httpStatus == 403,
              error.cloudflareErrors.contains(where: { $0.code == ambiguousCode })
        else { return error }
        let permission = "\"\(access.permissionGroup)\""
        let (kind, message) = credentialsAccepted
            ? (CFCertsError.Kind.permission,
               "\(error.message): Cloudflare refused \(operation) although it accepted these credentials before, "
                   + "so the token most likely lacks the permission \(permission) for this zone")
            : (CFCertsError.Kind.authentication,
               "\(error.message): the credentials are invalid, or valid but without the permission \(permission) "
                   + "that \(operation) needs (Cloudflare answers both alike)")
        return CFCertsError(kind: kind, message: message, httpStatus: error.httpStatus,
                            cloudflareErrors: error.cloudflareErrors, rayID: error.rayID, retryAfter: error.retryAfter)
    }
}
