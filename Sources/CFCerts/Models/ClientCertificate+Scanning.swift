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
        var text: [CodingKeys: String] = [:]
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
                    case "id": authority.id = try scanner.stringOrNull(key) ?? ""
                    case "name": authority.name = try scanner.stringOrNull(key) ?? ""
                    default: try scanner.skipValue()
                    }
                }
            default:
                text[known] = try scanner.stringOrNull(key)
            }
        }
        guard let id, let status else {
            throw JSONScanner.Failure(message: "a certificate without \(id == nil ? "an id" : "a status")", offset: scanner.offset)
        }
        self.id = id
        self.status = status
        self.certificate = PEM.normalized(text[.certificate] ?? "")
        self.certificateAuthority = authority
        self.commonName = text[.commonName] ?? ""
        self.country = text[.country] ?? ""
        self.csr = PEM.normalized(text[.csr] ?? "")
        self.expiresOn = text[.expiresOn] ?? ""
        self.fingerprintSHA256 = text[.fingerprintSHA256] ?? ""
        self.issuedOn = text[.issuedOn] ?? ""
        self.location = text[.location] ?? ""
        self.organization = text[.organization] ?? ""
        self.organizationalUnit = text[.organizationalUnit] ?? ""
        self.serialNumber = text[.serialNumber] ?? ""
        self.signature = text[.signature] ?? ""
        self.ski = text[.ski] ?? ""
        self.state = text[.state] ?? ""
        self.validityDays = validityDays
        self.additionalFields = extra
    }
}
