#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One API call: method, path segments (each encoded as exactly one segment), query and JSON body.
struct APIRequest: Sendable {
    enum Method: String, Sendable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
    }

    var method: Method
    var pathSegments: [String]
    var query: [(String, String)] = []
    var body: [UInt8]?

    /// A create: the server might process it although no answer arrives, so it is retried only when it
    /// certainly was not processed (see `RetryPolicy`).
    var isIdempotent: Bool { method != .post }

    /// The path after the base URL, every segment percent-encoded, e.g. `/zones/ab12/client_certificates`.
    var encodedPath: String {
        pathSegments.map { "/" + PathSegment.encode($0) }.joined()
    }

    var encodedQuery: String {
        query.map { PathSegment.encode($0.0) + "=" + PathSegment.encode($0.1) }.joined(separator: "&")
    }
}

/// Identifiers that go into a path.
enum PathSegment {
    /// The longest identifier accepted (Cloudflare's are 32 hex digits or a UUID).
    static let maxLength = 256

    /// Refuses identifiers that are empty, `.`/`..`, too long, or hold control characters, before any
    /// request: such an id could only reach another resource, or nothing.
    static func validate(_ id: String, name: String) throws(CFCertsError) {
        guard !id.isEmpty else { throw .invalidArgument("\(name) is empty") }
        guard id != ".", id != ".." else { throw .invalidArgument("\(name) may not be '.' or '..'") }
        guard id.utf8.count <= maxLength else { throw .invalidArgument("\(name) is longer than \(maxLength) bytes") }
        guard !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument("\(name) holds control characters")
        }
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters, so `/`, `?`, `#` and `%` in an id stay
    /// inside its one segment.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0xf)])
            }
        }
        return out
    }
}
