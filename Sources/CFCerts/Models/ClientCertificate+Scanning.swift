#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ClientCertificate {
    /// Reads a certificate object straight from JSON text: the listing's path, the same result as `Decodable`
    /// (missing or null text fields are empty, `id` and `status` are required, unknown fields are kept) without
    /// the generic machinery.
    init(scanning scanner: inout JSONScanner) throws {
        var id: String?
        var status: ClientCertificateStatus?
        var certificate = "", commonName = "", country = "", csr = "", expiresOn = "", fingerprint = "", issuedOn = ""
        var location = "", organization = "", unit = "", serial = "", signature = "", ski = "", state = ""
        var authority = CertificateAuthority(id: "", name: "")
        var validityDays: Int?
        var extra: [String: JSONValue] = [:]
        try scanner.object { scanner, key in
            guard let known = CodingKeys(rawValue: key) else {
                extra[key] = try JSONDecoding.decoder.decode(JSONValue.self, from: Data(scanner.text(of: try scanner.skipValue())))
                return
            }
            switch known {
            case .id: id = try scanner.requiredString(key)
            case .status: status = ClientCertificateStatus(rawValue: try scanner.requiredString(key))
            case .validityDays: validityDays = try scanner.integerOrNull(key)
            case .certificateAuthority:
                guard try !scanner.nullIfPresent() else { return }
                try scanner.object { scanner, key in
                    switch key {
                    case "id": authority.id = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
                    case "name": authority.name = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
                    default: try scanner.skipValue()
                    }
                }
            // Line endings made `\n` in every string while the escapes are decoded (see LineEndings).
            case .certificate: certificate = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .csr: csr = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .commonName: commonName = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .country: country = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .expiresOn: expiresOn = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .fingerprintSHA256: fingerprint = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .issuedOn: issuedOn = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .location: location = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .organization: organization = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .organizationalUnit: unit = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .serialNumber: serial = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .signature: signature = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .ski: ski = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            case .state: state = try scanner.stringOrNull(key, normalizingLineEndings: true) ?? ""
            }
        }
        guard let id, let status else {
            throw JSONScanner.Failure(message: "a certificate without \(id == nil ? "an id" : "a status")", offset: scanner.offset)
        }
        self.id = id
        self.status = status
        self.certificate = certificate
        self.certificateAuthority = authority
        self.commonName = commonName
        self.country = country
        self.csr = csr
        self.expiresOn = expiresOn
        self.fingerprintSHA256 = fingerprint
        self.issuedOn = issuedOn
        self.location = location
        self.organization = organization
        self.organizationalUnit = unit
        self.serialNumber = serial
        self.signature = signature
        self.ski = ski
        self.state = state
        self.validityDays = validityDays
        self.additionalFields = extra
    }
}
