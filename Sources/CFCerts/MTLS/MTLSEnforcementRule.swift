import SwiftASN1
import X509

/// The WAF custom rule that makes mTLS enforce something: it blocks a request to an associated hostname unless the
/// client presented a certificate that verifies, is not revoked, and was issued by the expected CA.
///
/// `cf.tls_client_auth.cert_revoked` matters: a revoked certificate still *verifies*, so a rule without it lets a
/// revoked certificate through and a revoke changes nothing at the edge. Revocation is known for the
/// Cloudflare-managed CA only. Pinning `cert_issuer_ski` keeps certificates of another CA that Cloudflare also
/// trusts for the zone (a BYO CA) out. On a hostname that is not associated, `cert_verified` is always false, so
/// the same rule there would block everyone: the rule names only associated hostnames.
public struct MTLSEnforcementRule: Sendable, Equatable {
    /// The hostnames the rule guards (those associated with the CA).
    public let hostnames: [String]
    /// The issuing CA's key identifier: upper-case hex without colons (`cert_issuer_ski`'s form).
    public let issuerKeyIdentifier: String

    /// Refuses an empty hostname list (the rule would guard nothing) and a key identifier that is not hex.
    public init(hostnames: [String], issuerKeyIdentifier: String) throws(CFCertsError) {
        guard !hostnames.isEmpty else {
            throw .invalidArgument("no hostname is associated with the CA: associate hostnames first (cfcerts hostnames add HOST)")
        }
        try HostnameAssociations.checkHostnames(hostnames)
        let digits = issuerKeyIdentifier.filter { $0 != ":" }.uppercased()
        guard (8...128).contains(digits.utf8.count), digits.utf8.count.isMultiple(of: 2),
              digits.utf8.allSatisfy({ (48...57).contains($0) || (65...70).contains($0) })
        else {
            throw .invalidArgument("the issuer's key identifier must be 4 to 64 bytes in hex digits (with or without colons)")
        }
        var seen = Set<String>()
        self.hostnames = hostnames.map { $0.lowercased() }.filter { seen.insert($0).inserted }
        self.issuerKeyIdentifier = digits
    }

    /// The expression that blocks, in Cloudflare's rules language. A wildcard hostname (`*.example.com`) guards
    /// every name under it: `ends_with(http.host, ".example.com")`, since `in` compares whole names.
    public var expression: String {
        let exact = hostnames.filter { !$0.hasPrefix("*.") }
        var hosts = exact.isEmpty ? [] : ["http.host in {" + exact.map { "\"\($0)\"" }.joined(separator: " ") + "}"]
        hosts += hostnames.filter { $0.hasPrefix("*.") }.map { "ends_with(http.host, \"\($0.dropFirst())\")" }
        let guarded = hosts.count == 1 ? hosts[0] : "(" + hosts.joined(separator: " or ") + ")"
        return "(\(guarded) and (not cf.tls_client_auth.cert_verified"
            + " or cf.tls_client_auth.cert_revoked"
            + " or cf.tls_client_auth.cert_issuer_ski ne \"\(issuerKeyIdentifier)\"))"
    }

    /// A rule's description, naming what it guards.
    public var description: String {
        "cfcerts: require a valid, unrevoked client certificate of CA \(issuerKeyIdentifier) on \(hostnames.joined(separator: ", "))"
    }

    /// The key identifier of the CA that issued `certificatePEM` (its authorityKeyIdentifier), as
    /// `issuerKeyIdentifier` wants it. Note: not the API's `ski` field, which is the certificate's own key.
    public static func issuerKeyIdentifier(ofCertificatePEM pem: String) throws(CFCertsError) -> String {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: pem)
        } catch {
            throw .invalidArgument("the certificate is not a PEM X.509 certificate")
        }
        let authority: AuthorityKeyIdentifier?
        do {
            authority = try certificate.extensions.authorityKeyIdentifier
        } catch {
            throw .invalidArgument("the certificate's authority key identifier cannot be read")
        }
        guard let identifier = authority?.keyIdentifier, !identifier.isEmpty else {
            throw .invalidArgument("the certificate names no authority key identifier: pass the CA's key identifier yourself")
        }
        let digits = Array("0123456789ABCDEF")
        return String(identifier.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }
}
