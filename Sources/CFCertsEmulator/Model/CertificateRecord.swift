import Foundation

/// The lifecycle states of a client certificate, as the API spells them.
enum CertificateStatus: String, Codable, Sendable, CaseIterable {
    case active
    case pendingRevocation = "pending_revocation"
    case revoked
    case pendingReactivation = "pending_reactivation"
}

/// One stored client certificate, in the API's own JSON shape (so it is also the persisted form).
struct CertificateRecord: Codable, Sendable, Equatable {
    struct Authority: Codable, Sendable, Equatable {
        var id: String
        var name: String
    }

    var id: String
    /// PEM; empty for a seeded certificate until it is first read (see `CertificateStore.seed`).
    var certificate: String
    var certificateAuthority: Authority
    var commonName: String
    var country: String
    var csr: String
    var expiresOn: String
    var fingerprintSha256: String
    var issuedOn: String
    var location: String
    var organization: String
    var organizationalUnit: String
    var serialNumber: String
    var signature: String
    var ski: String
    var state: String
    var status: CertificateStatus
    var validityDays: Int

    /// Emulator bookkeeping, never sent: when a pending status settles into its final one.
    var settlesAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, certificate, csr, location, organization, signature, ski, state, status
        case certificateAuthority = "certificate_authority"
        case commonName = "common_name"
        case country
        case expiresOn = "expires_on"
        case fingerprintSha256 = "fingerprint_sha256"
        case issuedOn = "issued_on"
        case organizationalUnit = "organizational_unit"
        case serialNumber = "serial_number"
        case validityDays = "validity_days"
        case settlesAt = "_settles_at"
    }

    /// Moves a pending status to its final one once its transition time has passed.
    mutating func settle(now: Date) {
        guard let settlesAt, settlesAt <= now else { return }
        switch status {
        case .pendingRevocation: status = .revoked
        case .pendingReactivation: status = .active
        case .active, .revoked: break
        }
        self.settlesAt = nil
    }

    /// The record as the API returns it: without the emulator's bookkeeping.
    var publicView: PublicCertificate { PublicCertificate(record: self) }
}

/// Encodes a record exactly as the API's `result` object (no bookkeeping fields).
struct PublicCertificate: Encodable, Sendable {
    let record: CertificateRecord

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CertificateRecord.CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.certificate, forKey: .certificate)
        try container.encode(record.certificateAuthority, forKey: .certificateAuthority)
        try container.encode(record.commonName, forKey: .commonName)
        try container.encode(record.country, forKey: .country)
        try container.encode(record.csr, forKey: .csr)
        try container.encode(record.expiresOn, forKey: .expiresOn)
        try container.encode(record.fingerprintSha256, forKey: .fingerprintSha256)
        try container.encode(record.issuedOn, forKey: .issuedOn)
        try container.encode(record.location, forKey: .location)
        try container.encode(record.organization, forKey: .organization)
        try container.encode(record.organizationalUnit, forKey: .organizationalUnit)
        try container.encode(record.serialNumber, forKey: .serialNumber)
        try container.encode(record.signature, forKey: .signature)
        try container.encode(record.ski, forKey: .ski)
        try container.encode(record.state, forKey: .state)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.validityDays, forKey: .validityDays)
    }
}
