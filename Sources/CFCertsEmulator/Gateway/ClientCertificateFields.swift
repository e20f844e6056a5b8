import Crypto
import Foundation
import SwiftASN1
import X509

/// The `cf.tls_client_auth.*` fields of Cloudflare's rules language for one request, computed from the certificate
/// the client presented and the emulator's store at that moment, in the formats Cloudflare documents:
/// booleans; `cert_serial` upper-case hex; fingerprints lower-case hex; distinguished names in RFC 2253 form
/// (`CN=…,O=…,C=US`; `_legacy` is `/C=US/O=…/CN=…`); dates as openssl prints them (`Mar  1 13:35:00 2027 GMT`);
/// `cert_rfc9440` the DER certificate as an RFC 9440 byte sequence (`:base64:`).
public struct ClientCertificateFields: Sendable, Equatable {
    public var certPresented = false
    /// The certificate chains to the emulator's CA and is within its validity (true also when revoked).
    public var certVerified = false
    /// The certificate's status in the store is `pending_revocation` or `revoked`, or the CA signed it but the
    /// store does not know it (issued before a reset).
    public var certRevoked = false
    /// Why `certVerified` is false, in openssl's words (Workers' `certVerified` says `FAILED:<this>`); "" otherwise.
    public var verifyError = ""
    public var certSerial = ""
    public var certFingerprintSHA256 = ""
    public var certFingerprintSHA1 = ""
    public var certSubjectDN = ""
    public var certIssuerDN = ""
    public var certSubjectDNLegacy = ""
    public var certIssuerDNLegacy = ""
    public var certNotBefore = ""
    public var certNotAfter = ""
    public var certRFC9440 = ""

    /// The fields for a request that presented `der` (nil: no certificate), judged against `authority`'s certificate
    /// and the current `status` of the certificate with a given fingerprint.
    static func compute(presented der: [UInt8]?, authority: Certificate, now: Date,
                        status: (String) -> CertificateStatus?) -> ClientCertificateFields {
        var fields = ClientCertificateFields()
        guard let der else { return fields }
        fields.certPresented = true
        fields.certFingerprintSHA256 = Hex.encode(SHA256.hash(data: der))
        fields.certFingerprintSHA1 = Hex.encode(Insecure.SHA1.hash(data: der))
        fields.certRFC9440 = ":" + Data(der).base64EncodedString() + ":"
        guard let certificate = try? Certificate(derEncoded: der) else {
            fields.verifyError = "unable to decode the certificate"
            return fields
        }
        fields.certSerial = Hex.encode(certificate.serialNumber.bytes).uppercased()
        fields.certSubjectDN = certificate.subject.description
        fields.certIssuerDN = certificate.issuer.description
        fields.certSubjectDNLegacy = legacy(certificate.subject)
        fields.certIssuerDNLegacy = legacy(certificate.issuer)
        fields.certNotBefore = opensslDate(certificate.notValidBefore)
        fields.certNotAfter = opensslDate(certificate.notValidAfter)

        if certificate.issuer != authority.subject
            || !authority.publicKey.isValidSignature(certificate.signature, for: certificate)
        {
            fields.verifyError = certificate.issuer == certificate.subject
                ? "self signed certificate" : "unable to get local issuer certificate"
        } else if now < certificate.notValidBefore {
            fields.verifyError = "certificate is not yet valid"
        } else if now > certificate.notValidAfter {
            fields.verifyError = "certificate has expired"
        } else {
            fields.certVerified = true
        }
        if let current = status(fields.certFingerprintSHA256) {
            fields.certRevoked = current == .pendingRevocation || current == .revoked
        } else if fields.certVerified {
            // Signed by the CA but unknown to the store (revoked, then forgotten by a reset): nothing vouches for
            // it any more, so it does not pass as a live certificate.
            fields.certRevoked = true
        }
        return fields
    }

    /// The fields as Cloudflare's rules language names them, without the `cf.tls_client_auth.` prefix.
    var json: [String: JSONValue] {
        [
            "cert_presented": .bool(certPresented), "cert_verified": .bool(certVerified),
            "cert_revoked": .bool(certRevoked), "cert_serial": .string(certSerial),
            "cert_fingerprint_sha256": .string(certFingerprintSHA256), "cert_fingerprint_sha1": .string(certFingerprintSHA1),
            "cert_subject_dn": .string(certSubjectDN), "cert_issuer_dn": .string(certIssuerDN),
            "cert_subject_dn_rfc2253": .string(certSubjectDN), "cert_issuer_dn_rfc2253": .string(certIssuerDN),
            "cert_subject_dn_legacy": .string(certSubjectDNLegacy), "cert_issuer_dn_legacy": .string(certIssuerDNLegacy),
            "cert_not_before": .string(certNotBefore), "cert_not_after": .string(certNotAfter),
            "cert_rfc9440": .string(certRFC9440),
        ]
    }

    /// The request headers of Cloudflare's "Add TLS client auth headers" managed transform, and RFC 9440's
    /// `Client-Cert` (only when a certificate was presented).
    var headers: [(name: String, value: String)] {
        var headers: [(String, String)] = [
            ("cf-cert-presented", "\(certPresented)"), ("cf-cert-verified", "\(certVerified)"),
            ("cf-cert-revoked", "\(certRevoked)"),
            ("cf-cert-issuer-dn", certIssuerDN), ("cf-cert-subject-dn", certSubjectDN),
            ("cf-cert-issuer-dn-rfc2253", certIssuerDN), ("cf-cert-subject-dn-rfc2253", certSubjectDN),
            ("cf-cert-issuer-dn-legacy", certIssuerDNLegacy), ("cf-cert-subject-dn-legacy", certSubjectDNLegacy),
            ("cf-cert-serial", certSerial), ("cf-cert-fingerprint-sha256", certFingerprintSHA256),
            ("cf-cert-fingerprint-sha1", certFingerprintSHA1),
            ("cf-cert-not-before", certNotBefore), ("cf-cert-not-after", certNotAfter),
        ]
        if certPresented { headers.append(("Client-Cert", certRFC9440)) }
        return headers
    }

    private static func legacy(_ name: DistinguishedName) -> String {
        name.map { "/" + String(describing: $0) }.joined()
    }

    /// openssl's `ASN1_TIME_print` form: `Mar  1 13:35:00 2027 GMT` (the day padded with a space).
    static func opensslDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let month = months[((parts.month ?? 1) - 1 + 12) % 12]
        func two(_ value: Int?) -> String { let value = value ?? 0; return value < 10 ? "0\(value)" : "\(value)" }
        let day = parts.day ?? 1
        return "\(month) \(day < 10 ? " " : "")\(day) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) \(parts.year ?? 0) GMT"
    }
}
