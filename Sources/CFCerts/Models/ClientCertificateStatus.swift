/// A client certificate's status. Known values have constants; any other value the API may add is kept as is.
public struct ClientCertificateStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let active = Self(rawValue: "active")
    public static let pendingRevocation = Self(rawValue: "pending_revocation")
    public static let revoked = Self(rawValue: "revoked")
    public static let pendingReactivation = Self(rawValue: "pending_reactivation")

    /// The four statuses the API documents.
    public static let documented: [Self] = [.active, .pendingRevocation, .revoked, .pendingReactivation]

    /// The list endpoint's `status` filter read from text: `all`, the API's default, is nil (no filter); a
    /// documented status is itself. Anything else throws `invalidArgument`.
    public static func listFilter(_ text: String) throws(CFCertsError) -> Self? {
        if text == "all" { return nil }
        guard let status = documented.first(where: { $0.rawValue == text }) else {
            throw .invalidArgument("status must be one of: all, " + documented.map(\.rawValue).joined(separator: ", "))
        }
        return status
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
