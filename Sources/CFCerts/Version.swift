/// The version of cfcerts (the C ABI's `CFCERTS_VERSION_*` mirror it).
public enum CFCertsVersion {
    public static let major = 0
    public static let minor = 5
    public static let patch = 0
    public static var string: String { "\(major).\(minor).\(patch)" }
}
