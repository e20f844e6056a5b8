import Crypto
import SwiftASN1
import X509
import _CryptoExtras

/// Makes a private key and a CSR to hand to `ClientCertificates.create`, and reads CSRs back.
public enum CertificateSigningRequests {
    /// The private key algorithm of a generated CSR.
    public enum KeyType: String, Sendable, Codable, CaseIterable {
        /// ECDSA on P-256, signed with SHA-256 (small and fast; the default).
        case p256
        /// RSA-2048, signed with SHA-256 (PKCS#1 v1.5).
        case rsa2048
    }

    /// A freshly generated key and the CSR signed with it, both PEM.
    public struct Generated: Sendable, Hashable {
        /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Keep it secret.
        public var privateKeyPEM: String
        public var csrPEM: String
        public var keyType: KeyType
    }

    /// What a CSR says about itself.
    public struct Inspection: Sendable, Hashable {
        public var subject: CSRSubject
        /// In `KeyType`'s vocabulary: `p256`, `rsa2048`, and likewise `p384`, `p521`, `rsa3072`, `rsa4096`, `ed25519`, `unknown`.
        public var keyType: String
        /// Whether the CSR's signature verifies with its own public key (the API refuses it otherwise).
        public var signatureIsValid: Bool
    }

    /// Generates a private key of `keyType` and a CSR for `subject`.
    public static func generate(subject: CSRSubject, keyType: KeyType = .p256) throws(CFCertsError) -> Generated {
        try validate(subject)
        do {
            let name = try distinguishedName(subject)
            let key: Certificate.PrivateKey
            let keyPEM: String
            let algorithm: Certificate.SignatureAlgorithm
            switch keyType {
            case .p256:
                let p256 = P256.Signing.PrivateKey()
                key = Certificate.PrivateKey(p256)
                keyPEM = p256.pemRepresentation
                algorithm = .ecdsaWithSHA256
            case .rsa2048:
                let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
                key = Certificate.PrivateKey(rsa)
                keyPEM = rsa.pkcs8PEMRepresentation
                algorithm = .sha256WithRSAEncryption
            }
            let csr = try CertificateSigningRequest(
                version: .v1, subject: name, privateKey: key, attributes: .init(), signatureAlgorithm: algorithm)
            return Generated(privateKeyPEM: keyPEM, csrPEM: try csr.serializeAsPEM().pemString + "\n", keyType: keyType)
        } catch {
            throw CFCertsError(kind: .invalidArgument, message: "could not generate the key and CSR: \(type(of: error))")
        }
    }

    /// A new CSR for `subject` signed with an existing key (PEM: PKCS#8, SEC 1 or PKCS#1; a P-256 or RSA-2048 key),
    /// for a certificate that keeps its key. The key is handed back as given.
    public static func generate(subject: CSRSubject, privateKeyPEM: String) throws(CFCertsError) -> Generated {
        try validate(subject)
        let key: Certificate.PrivateKey
        let keyType: KeyType
        let algorithm: Certificate.SignatureAlgorithm
        if let p256 = try? P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM) {
            key = Certificate.PrivateKey(p256)
            keyType = .p256
            algorithm = .ecdsaWithSHA256
        } else if let rsa = try? _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM), rsa.keySizeInBits == 2048 {
            key = Certificate.PrivateKey(rsa)
            keyType = .rsa2048
            algorithm = .sha256WithRSAEncryption
        } else {
            throw .invalidArgument("the key is not a PEM P-256 or RSA-2048 private key")
        }
        do {
            let csr = try CertificateSigningRequest(
                version: .v1, subject: try distinguishedName(subject), privateKey: key, attributes: .init(),
                signatureAlgorithm: algorithm)
            return Generated(privateKeyPEM: privateKeyPEM, csrPEM: try csr.serializeAsPEM().pemString + "\n", keyType: keyType)
        } catch {
            throw CFCertsError(kind: .invalidArgument, message: "could not make the CSR: \(type(of: error))")
        }
    }

    /// Reads a PEM CSR (`\n` or `\r\n` line endings): its subject, key type and whether its signature verifies.
    public static func inspect(pem: String) throws(CFCertsError) -> Inspection {
        let normalized = LineEndings.normalized(pem).trimmingWhitespace()
        guard normalized.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"),
              let csr = try? CertificateSigningRequest(pemEncoded: normalized)
        else {
            throw .invalidArgument("not a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)")
        }
        return Inspection(
            subject: subject(of: csr.subject), keyType: keyTypeName(csr.publicKey),
            signatureIsValid: csr.publicKey.isValidSignature(csr.signature, for: csr))
    }

    private static func validate(_ subject: CSRSubject) throws(CFCertsError) {
        let fields: [(String, String?)] = [
            ("commonName", subject.commonName), ("organization", subject.organization),
            ("organizationalUnit", subject.organizationalUnit), ("country", subject.country),
            ("state", subject.state), ("locality", subject.locality),
        ]
        guard !subject.commonName.isEmpty else { throw .invalidArgument("the CSR subject needs a common name") }
        for (name, value) in fields {
            guard let value else { continue }
            guard value.utf8.count <= 64 else { throw .invalidArgument("\(name) is longer than 64 bytes") }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalidArgument("\(name) holds control characters")
            }
        }
        if let country = subject.country, !country.isEmpty {
            guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw .invalidArgument("country must be a two-letter code")
            }
        }
    }

    private static func distinguishedName(_ subject: CSRSubject) throws -> DistinguishedName {
        var rdns: [RelativeDistinguishedName] = []
        func add(_ type: ASN1ObjectIdentifier, _ value: String?) throws {
            guard let value, !value.isEmpty else { return }
            let attribute = type == .RDNAttributeType.countryName
                ? try RelativeDistinguishedName.Attribute(type: type, printableString: value.uppercased())
                : RelativeDistinguishedName.Attribute(type: type, utf8String: value)
            rdns.append(RelativeDistinguishedName(attribute))
        }
        try add(.RDNAttributeType.countryName, subject.country)
        try add(.RDNAttributeType.stateOrProvinceName, subject.state)
        try add(.RDNAttributeType.localityName, subject.locality)
        try add(.RDNAttributeType.organizationName, subject.organization)
        try add(.RDNAttributeType.organizationalUnitName, subject.organizationalUnit)
        try add(.RDNAttributeType.commonName, subject.commonName)
        return DistinguishedName(rdns)
    }

    private static func subject(of name: DistinguishedName) -> CSRSubject {
        var subject = CSRSubject(commonName: "")
        for rdn in name {
            for attribute in rdn {
                let value = String(attribute.value) ?? ""
                switch attribute.type {
                case .RDNAttributeType.commonName: subject.commonName = value
                case .RDNAttributeType.organizationName: subject.organization = value
                case .RDNAttributeType.organizationalUnitName: subject.organizationalUnit = value
                case .RDNAttributeType.countryName: subject.country = value
                case .RDNAttributeType.stateOrProvinceName: subject.state = value
                case .RDNAttributeType.localityName: subject.locality = value
                default: break
                }
            }
        }
        return subject
    }

    private static func keyTypeName(_ key: Certificate.PublicKey) -> String {
        if P256.Signing.PublicKey(key) != nil { return "p256" }
        if P384.Signing.PublicKey(key) != nil { return "p384" }
        if P521.Signing.PublicKey(key) != nil { return "p521" }
        if let rsa = _RSA.Signing.PublicKey(key) { return "rsa\(rsa.keySizeInBits)" }
        if Curve25519.Signing.PublicKey(key) != nil { return "ed25519" }
        return "unknown"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
