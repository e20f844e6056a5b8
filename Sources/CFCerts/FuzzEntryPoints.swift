#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The core's parsers of untrusted bytes, for the fuzz targets (`Sources/cfcerts-fuzz`, `make fuzz`): each takes
/// any bytes and must return, whatever they are: no trap, no hang, no unbounded allocation.
package enum CoreFuzzEntryPoints {
    /// A list answer as the server sent it: the scanner the listing uses, into models and into raw certificates.
    package static func listAnswer(_ bytes: [UInt8]) {
        _ = try? ListAnswer.scan(bytes, httpStatus: 200, rayID: nil, maxItems: 50) { try ClientCertificate(scanning: &$0) }
        _ = try? RawCertificatePage(body: bytes, httpStatus: 200, rayID: nil, maxItems: 50)
    }

    /// A single answer (get, create, revoke, reactivate) with the status in the first byte's class.
    package static func singleAnswer(_ bytes: [UInt8]) {
        let status = [200, 400, 403, 404, 429, 500, 502][Int(bytes.first ?? 0) % 7]
        let response = APIResponse(status: status, headers: ResponseHeaders([("cf-ray", "fuzz")]), body: Array(bytes.dropFirst()))
        _ = try? ResponseDecoder.decode(ClientCertificate.self, from: response, secrets: ["fuzz-secret"])
    }

    /// `Retry-After` (seconds or an HTTP-date), `Retry-After-Ms`, and the `Ratelimit` headers.
    package static func retryAfter(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for name in ["retry-after", "retry-after-ms", "x-ratelimit-reset"] {
            _ = RetryAfter.parse(ResponseHeaders([(name, text)]))
        }
        _ = HTTPDate.parse(text)
        _ = RateLimitHeaders(ResponseHeaders([("ratelimit", text), ("ratelimit-policy", text)]))
    }

    /// A PEM CSR, as `CertificateSigningRequests.inspect` reads it.
    package static func csrInspection(_ bytes: [UInt8]) {
        _ = try? CertificateSigningRequests.inspect(pem: String(decoding: bytes, as: UTF8.self))
    }
}
