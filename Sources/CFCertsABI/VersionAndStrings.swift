import CCFCerts
import CFCerts

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// C strings that live as long as the process (the library is never unloaded: it is linked `-z nodelete`).
/// Immutable after their one-time initialisation, hence `nonisolated(unsafe)`.
enum StaticStrings {
    nonisolated(unsafe) static let version = make(CFCertsVersion.string)

    nonisolated(unsafe) static let codeNames: [Int32: UnsafePointer<CChar>] = [
        CFCERTS_OK: make("ok"),
        CFCERTS_ERROR: make("API error"),
        CFCERTS_EINVAL: make("invalid argument"),
        CFCERTS_ENOTFOUND: make("not found"),
        CFCERTS_EAUTH: make("authentication failed"),
        CFCERTS_EPERM: make("permission denied"),
        CFCERTS_ERATELIMIT: make("rate limited"),
        CFCERTS_ETIMEOUT: make("timed out"),
        CFCERTS_ECONNECT: make("connection failed"),
        CFCERTS_EDECODE: make("unexpected response"),
        CFCERTS_ITEROVER: make("iteration over"),
        CFCERTS_ENOMEM: make("out of memory"),
        CFCERTS_ECANCELLED: make("cancelled"),
        CFCERTS_EBUSY: make("in use"),
    ]
    nonisolated(unsafe) static let unknownCode = make("unknown error code")

    private static func make(_ text: String) -> UnsafePointer<CChar> {
        UnsafePointer(strdup(text)!)
    }
}

@c @implementation
public func cfcerts_version_number() -> Int32 {
    Int32(CFCertsVersion.major * 10000 + CFCertsVersion.minor * 100 + CFCertsVersion.patch)
}

@c @implementation
public func cfcerts_version() -> UnsafePointer<CChar>? {
    StaticStrings.version
}

@c @implementation
public func cfcerts_strerror(_ code: Int32) -> UnsafePointer<CChar>? {
    StaticStrings.codeNames[code] ?? StaticStrings.unknownCode
}

@c @implementation
public func cfcerts_string_free(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}
