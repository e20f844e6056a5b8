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

    /// A PKCS#12 file on disk, as a fleet apply checks it (`PKCS12Bundle.holds`): the first byte picks the profile
    /// (even: modern), the rest is the file; the password is "fuzz" and the certificate `fuzzLeaf`, the seeds' own.
    package static func pkcs12Bundle(_ bytes: [UInt8]) {
        _ = PKCS12Bundle.holds(certificatePEM: fuzzLeaf, in: Array(bytes.dropFirst()), password: "fuzz",
                               profile: (bytes.first ?? 0) % 2 == 0 ? .modern : .legacy)
    }

    /// The certificate of the pkcs12_bundle seeds (made with `openssl pkcs12 -export -passout pass:fuzz`).
    static let fuzzLeaf = """
        -----BEGIN CERTIFICATE-----
        MIIBjTCCATOgAwIBAgIUGYFMCANxJ+Jt1iHvbvVQ6ll11U0wCgYIKoZIzj0EAwIw
        GzEZMBcGA1UEAwwQZnV6ei5leGFtcGxlLmNvbTAgFw0yNjEyMDYxMDA3MjZaGA8y
        MTI2MTExMjEwMDcyNlowGzEZMBcGA1UEAwwQZnV6ei5leGFtcGxlLmNvbTBZMBMG
        ByqGSM49AgEGCCqGSM49AwEHA0IABMwGXqwWn9ZafGaM1+l3mNjgvKnitmBHzMs1
        q+eBRf86uGkU00dz/9A8UyXC4oxQ4GbhQC9XqXqEKykwCu+8t7mjUzBRMB0GA1Ud
        DgQWBBREEvj3FP+E9pH/ci9gvqf5O7tkgTAfBgNVHSMEGDAWgBREEvj3FP+E9pH/
        ci9gvqf5O7tkgTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIFkt
        w2sXYksJIl/WXw2TyEk8OzsYGA3SvG6QUjVwHSFyAiEAgKcaMmoiGByOMjADo2lQ
        JtRs1/AKFkF+Jz/0Ejpi5iw=
        -----END CERTIFICATE-----
        """

    /// A PEM CSR, as `CertificateSigningRequests.inspect` reads it.
    package static func csrInspection(_ bytes: [UInt8]) {
        _ = try? CertificateSigningRequests.inspect(pem: String(decoding: bytes, as: UTF8.self))
    }
}
