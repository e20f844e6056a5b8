#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An API Shield mTLS client certificate, with every field of the API reference.
///
/// Decoding tolerates missing fields (empty strings), unknown `status` values and fields the reference does not
/// list (kept in `additionalFields`); encoding gives back the API's own snake_case shape.
/// PEM fields are presented with `\n` line endings (the API sends the CSR with `\r\n`).
public struct ClientCertificate: Codable, Sendable, Hashable, Identifiable {
    /// Identifier.
    public var id: String
    /// The client certificate, PEM.
    public var certificate: String
    /// The CA that issued the certificate.
    public var certificateAuthority: CertificateAuthority
    /// Common Name, from the CSR.
    public var commonName: String
    /// Country, from the CSR.
    public var country: String
    /// The certificate signing request, PEM.
    public var csr: String
    /// When the certificate expires (RFC 3339), see `expiresOnDate`.
    public var expiresOn: String
    /// SHA-256 fingerprint of the certificate's DER, hex.
    public var fingerprintSHA256: String
    /// When the CA issued the certificate (RFC 3339), see `issuedOnDate`.
    public var issuedOn: String
    /// Location (locality), from the CSR.
    public var location: String
    /// Organization, from the CSR.
    public var organization: String
    /// Organizational Unit, from the CSR.
    public var organizationalUnit: String
    /// The certificate's serial number, hex.
    public var serialNumber: String
    /// The signature algorithm, e.g. `SHA256WithRSA`.
    public var signature: String
    /// Subject Key Identifier, hex.
    public var ski: String
    /// State, from the CSR.
    public var state: String
    /// `active` or `revoked`, or the in-progress `pending_revocation` / `pending_reactivation`.
    public var status: ClientCertificateStatus
    /// Days of validity after `issuedOn`.
    public var validityDays: Int?
    /// Fields the API sent that this version does not know, kept so nothing is lost on re-encoding.
    public var additionalFields: [String: JSONValue]

    /// The CA that issued a client certificate.
    public struct CertificateAuthority: Codable, Sendable, Hashable {
        public var id: String
        public var name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            id = LineEndings.normalized(try container.decodeIfPresent(String.self, forKey: AnyCodingKey("id")) ?? "")
            name = LineEndings.normalized(try container.decodeIfPresent(String.self, forKey: AnyCodingKey("name")) ?? "")
        }
    }

    /// `issuedOn` as a date; nil when the API sent something that is not RFC 3339.
    public var issuedOnDate: Date? { Self.parseDate(issuedOn) }
    /// `expiresOn` as a date; nil when the API sent something that is not RFC 3339.
    public var expiresOnDate: Date? { Self.parseDate(expiresOn) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, certificate, country, csr, location, organization, signature, ski, state, status
        case certificateAuthority = "certificate_authority"
        case commonName = "common_name"
        case expiresOn = "expires_on"
        case fingerprintSHA256 = "fingerprint_sha256"
        case issuedOn = "issued_on"
        case organizationalUnit = "organizational_unit"
        case serialNumber = "serial_number"
        case validityDays = "validity_days"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Every string with LF line endings, as every other path hands them out (see `LineEndings`).
        func text(_ key: CodingKeys) throws -> String {
            LineEndings.normalized(try container.decodeIfPresent(String.self, forKey: key) ?? "")
        }
        id = try container.decode(String.self, forKey: .id)
        certificate = try text(.certificate)
        certificateAuthority = try container.decodeIfPresent(CertificateAuthority.self, forKey: .certificateAuthority)
            ?? CertificateAuthority(id: "", name: "")
        commonName = try text(.commonName)
        country = try text(.country)
        csr = try text(.csr)
        expiresOn = try text(.expiresOn)
        fingerprintSHA256 = try text(.fingerprintSHA256)
        issuedOn = try text(.issuedOn)
        location = try text(.location)
        organization = try text(.organization)
        organizationalUnit = try text(.organizationalUnit)
        serialNumber = try text(.serialNumber)
        signature = try text(.signature)
        ski = try text(.ski)
        state = try text(.state)
        status = try container.decode(ClientCertificateStatus.self, forKey: .status)
        validityDays = try container.decodeIfPresent(Int.self, forKey: .validityDays)

        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        var extra: [String: JSONValue] = [:]
        for key in all.allKeys where !known.contains(key.stringValue) {
            extra[key.stringValue] = try all.decode(JSONValue.self, forKey: key)
        }
        additionalFields = extra
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(certificate, forKey: .certificate)
        try container.encode(certificateAuthority, forKey: .certificateAuthority)
        try container.encode(commonName, forKey: .commonName)
        try container.encode(country, forKey: .country)
        try container.encode(csr, forKey: .csr)
        try container.encode(expiresOn, forKey: .expiresOn)
        try container.encode(fingerprintSHA256, forKey: .fingerprintSHA256)
        try container.encode(issuedOn, forKey: .issuedOn)
        try container.encode(location, forKey: .location)
        try container.encode(organization, forKey: .organization)
        try container.encode(organizationalUnit, forKey: .organizationalUnit)
        try container.encode(serialNumber, forKey: .serialNumber)
        try container.encode(signature, forKey: .signature)
        try container.encode(ski, forKey: .ski)
        try container.encode(state, forKey: .state)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(validityDays, forKey: .validityDays)
        var extra = encoder.container(keyedBy: AnyCodingKey.self)
        for (key, value) in additionalFields { try extra.encode(value, forKey: AnyCodingKey(key)) }
    }

    /// An RFC 3339 time as the API writes dates (`2026-01-31T12:00:00Z`, fractional seconds allowed); nil otherwise.
    public static func parseDate(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

/// One rule for line endings in every string of a certificate, on every path (models, the C iterator's raw JSON,
/// single answers): CR LF and a lone CR become LF, whichever escape the server wrote (`\r`, `\u000d`). The API
/// sends PEM with CR LF; the library hands out LF.
enum LineEndings {
    /// `\r\n` (and lone `\r`) line endings become `\n`. Works on UTF-8 bytes (a CR is never part of another
    /// character's encoding).
    static func normalized(_ pem: String) -> String {
        guard pem.utf8.contains(13) else { return pem }
        var out: [UInt8] = []
        out.reserveCapacity(pem.utf8.count)
        var previousWasCR = false
        for byte in pem.utf8 {
            if byte == 13 {
                out.append(10)
            } else if !(byte == 10 && previousWasCR) {
                out.append(byte)
            }
            previousWasCR = byte == 13
        }
        return String(decoding: out, as: UTF8.self)
    }
}
