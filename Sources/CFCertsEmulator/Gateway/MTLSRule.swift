/// What the gateway lets through, as a WAF custom rule at Cloudflare's edge would.
public enum MTLSRule: String, Sendable, CaseIterable {
    /// API Shield's recommended rule: block unless a certificate is presented, verified and not revoked —
    /// `not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked`.
    case requireVerified = "require-verified"
    /// No rule: every request passes, with the fields (to test an origin's own checks).
    case allowUnverified = "allow-unverified"

    /// The rule as Cloudflare's rules language writes it (the expression that blocks).
    public var expression: String {
        switch self {
        case .requireVerified: "not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked"
        case .allowUnverified: "false"
        }
    }

    /// The first condition that fails for `fields` (`cert_presented`, `cert_verified` or `cert_revoked`), nil
    /// when the request passes.
    func failedCondition(_ fields: ClientCertificateFields) -> String? {
        guard self == .requireVerified else { return nil }
        if !fields.certPresented { return "cert_presented" }
        if !fields.certVerified { return "cert_verified" }
        if fields.certRevoked { return "cert_revoked" }
        return nil
    }
}

/// Which hostnames the gateway guards.
public enum MTLSEnforcement: String, Sendable, CaseIterable {
    /// As Cloudflare's edge: a certificate is asked for only when the SNI is associated with the managed CA
    /// (`PUT .../certificate_authorities/hostname_associations`), and the rule applies to requests whose Host is.
    case associated
    /// Every connection is asked for a certificate and every request meets the rule.
    case all
}
