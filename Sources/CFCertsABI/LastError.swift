import CCFCerts
import CFCerts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The calling thread's last failure: a `cfcerts_error` and the strings it points to, owned by the library and
/// freed when the thread exits or the next failure replaces them.
final class LastError {
    private let error = UnsafeMutablePointer<cfcerts_error>.allocate(capacity: 1)
    private var strings: [UnsafeMutablePointer<CChar>] = []

    private init() {
        error.initialize(to: cfcerts_error())
        clear()
    }

    deinit {
        strings.forEach { free($0) }
        error.deallocate()
    }

    /// Resets to "no failure".
    func clear() {
        set(code: CFCERTS_OK, httpStatus: 0, message: "", rayID: "", cloudflareErrors: "[]", retryAfterMilliseconds: 0)
    }

    func set(code: Int32, httpStatus: Int32, message: String, rayID: String, cloudflareErrors: String,
             retryAfterMilliseconds: Int64, outcomeUnknown: Bool = false) {
        let old = strings
        strings = []
        error.pointee = cfcerts_error(
            code: code, http_status: httpStatus, message: own(message, orElse: ""), ray_id: own(rayID, orElse: ""),
            cloudflare_errors: own(cloudflareErrors, orElse: "[]"), retry_after_ms: retryAfterMilliseconds,
            outcome_unknown: outcomeUnknown ? 1 : 0)
        old.forEach { free($0) }
    }

    var pointer: UnsafePointer<cfcerts_error> { UnsafePointer(error) }

    /// A copy of `text` owned by this error, or, when memory is short, a static string.
    private func own(_ text: String, orElse fallback: StaticString) -> UnsafePointer<CChar> {
        guard let copy = strdup(text) else {
            return UnsafeRawPointer(fallback.utf8Start).assumingMemoryBound(to: CChar.self)
        }
        strings.append(copy)
        return UnsafePointer(copy)
    }

    // MARK: Per-thread storage

    /// A pthread key whose destructor releases the thread's `LastError` when the thread exits.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<LastError>.fromOpaque(pointer).release() }
        }
        return key
    }()

    /// The calling thread's instance, created on first use.
    static var current: LastError {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<LastError>.fromOpaque(existing).takeUnretainedValue()
        }
        let created = LastError()
        pthread_setspecific(key, Unmanaged.passRetained(created).toOpaque())
        return created
    }

    /// Records `error` as the thread's last failure and returns its code.
    @discardableResult
    static func record(_ error: CFCertsError) -> Int32 {
        let code = ReturnCode.of(error.kind)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let errorsJSON = (try? encoder.encode(error.cloudflareErrors)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        let retryAfter = error.retryAfter.map(milliseconds) ?? 0
        current.set(code: code, httpStatus: Int32(clamping: error.httpStatus ?? 0), message: error.message,
                    rayID: error.rayID ?? "", cloudflareErrors: errorsJSON, retryAfterMilliseconds: retryAfter,
                    outcomeUnknown: error.outcomeUnknown)
        return code
    }

    /// Records that a result of `bytes` could not be allocated and returns CFCERTS_ENOMEM.
    static func outOfMemory(bytes: Int) -> Int32 {
        current.set(code: CFCERTS_ENOMEM, httpStatus: 0, message: "out of memory: could not allocate \(bytes) bytes for the result",
                    rayID: "", cloudflareErrors: "[]", retryAfterMilliseconds: 0)
        return CFCERTS_ENOMEM
    }

    /// Whole milliseconds, saturating instead of overflowing.
    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? .max : whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue
    }

    /// Records an argument refused before any request and returns CFCERTS_EINVAL.
    @discardableResult
    static func invalid(_ message: String) -> Int32 {
        record(CFCertsError(kind: .invalidArgument, message: message))
    }
}

/// The mapping from error kinds to the header's return codes.
enum ReturnCode {
    static func of(_ kind: CFCertsError.Kind) -> Int32 {
        switch kind {
        case .invalidArgument: CFCERTS_EINVAL
        case .notFound: CFCERTS_ENOTFOUND
        case .authentication: CFCERTS_EAUTH
        case .permission: CFCERTS_EPERM
        case .rateLimited: CFCERTS_ERATELIMIT
        case .timeout: CFCERTS_ETIMEOUT
        case .connection: CFCERTS_ECONNECT
        case .decoding: CFCERTS_EDECODE
        case .cancelled: CFCERTS_ECANCELLED
        case .inUse: CFCERTS_EBUSY
        default: CFCERTS_ERROR
        }
    }
}

@c @implementation
public func cfcerts_error_last() -> UnsafePointer<cfcerts_error>? {
    LastError.current.pointer
}

@c @implementation
public func cfcerts_error_clear() {
    LastError.current.clear()
}
