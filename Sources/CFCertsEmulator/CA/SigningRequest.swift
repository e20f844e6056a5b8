import Foundation
import SwiftASN1
import X509

/// A CSR accepted for signing: parsed, its self-signature verified, its subject read.
struct SigningRequest: Sendable {
    let request: CertificateSigningRequest
    /// The CSR as the API stores and returns it: PEM with `\r\n` line endings.
    let storedPEM: String

    /// The largest CSR accepted, far above any real one (an RSA-4096 CSR is about 1.7 KB).
    static let maxLength = 64 * 1024

    /// Parses and verifies a PEM CSR; `\n` and `\r\n` line endings are both accepted.
    init(pem: String) throws(APIError) {
        guard pem.utf8.count <= Self.maxLength else { throw .invalidCSR("longer than \(Self.maxLength) bytes") }
        let normalized = pem.replacingOccurrences(of: "\r\n", with: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard normalized.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----") else {
            throw .invalidCSR("expected a PEM block starting with -----BEGIN CERTIFICATE REQUEST-----")
        }
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: normalized)
        } catch {
            throw .invalidCSR("the PEM block does not hold a well-formed PKCS#10 request")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw .csrSignatureInvalid()
        }
        self.request = request
        self.storedPEM = normalized.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
    }

    /// The subject fields the API copies from the CSR.
    var subjectFields: SubjectFields { SubjectFields(request.subject) }
}

/// The subject attributes the API reports (`common_name`, `organization`, … ); empty when absent.
struct SubjectFields: Sendable, Equatable {
    var commonName = ""
    var organization = ""
    var organizationalUnit = ""
    var country = ""
    var state = ""
    var location = ""

    init(commonName: String, organization: String = "", organizationalUnit: String = "",
         country: String = "", state: String = "", location: String = "") {
        self.commonName = commonName
        self.organization = organization
        self.organizationalUnit = organizationalUnit
        self.country = country
        self.state = state
        self.location = location
    }

    init(_ name: DistinguishedName) {
        for rdn in name {
            for attribute in rdn {
                let value = String(attribute.value) ?? ""
                switch attribute.type {
                case .RDNAttributeType.commonName: commonName = value
                case .RDNAttributeType.organizationName: organization = value
                case .RDNAttributeType.organizationalUnitName: organizationalUnit = value
                case .RDNAttributeType.countryName: country = value
                case .RDNAttributeType.stateOrProvinceName: state = value
                case .RDNAttributeType.localityName: location = value
                default: break
                }
            }
        }
    }

    /// The subject as a distinguished name, in the usual C, ST, L, O, OU, CN order.
    func distinguishedName() throws -> DistinguishedName {
        var rdns: [RelativeDistinguishedName] = []
        func add(_ type: ASN1ObjectIdentifier, _ value: String) {
            guard !value.isEmpty else { return }
            rdns.append(RelativeDistinguishedName(.init(type: type, utf8String: value)))
        }
        add(.RDNAttributeType.countryName, country)
        add(.RDNAttributeType.stateOrProvinceName, state)
        add(.RDNAttributeType.localityName, location)
        add(.RDNAttributeType.organizationName, organization)
        add(.RDNAttributeType.organizationalUnitName, organizationalUnit)
        add(.RDNAttributeType.commonName, commonName)
        return DistinguishedName(rdns)
    }
}
