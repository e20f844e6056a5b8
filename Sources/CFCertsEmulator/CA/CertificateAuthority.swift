import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// The emulator's certificate authority: a real key and self-signed CA certificate that sign every issued
/// client certificate, so `openssl verify -CAfile` works on what the emulator hands out.
struct CertificateAuthority: Sendable {
    typealias KeyType = CAKeyType

    /// The name Cloudflare gives its managed client-certificate CA.
    static let name = "Cloudflare Managed CA for account"

    let id: String
    let keyType: KeyType
    let certificate: Certificate
    let certificatePEM: String
    private let privateKey: Certificate.PrivateKey
    private let privateKeyPEM: String
    private let subjectKeyIdentifier: ArraySlice<UInt8>

    /// Creates a new CA with a fresh key and a ten-year self-signed certificate.
    init(keyType: KeyType = .rsa2048, now: Date = Date()) throws {
        let key: Certificate.PrivateKey
        let keyPEM: String
        switch keyType {
        case .rsa2048:
            let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            key = Certificate.PrivateKey(rsa)
            keyPEM = rsa.pemRepresentation
        case .p256:
            let p256 = P256.Signing.PrivateKey()
            key = Certificate.PrivateKey(p256)
            keyPEM = p256.pemRepresentation
        }
        let id = Identifier.make()
        let subject = try DistinguishedName {
            CountryName("US")
            OrganizationName("Cloudflare, Inc.")
            CommonName("\(Self.name) (emulator \(id.prefix(8)))")
        }
        let ski = Self.keyIdentifier(of: key.publicKey)
        let notBefore = now.addingTimeInterval(-3600)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Self.randomSerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notBefore.addingTimeInterval(20 * 365 * 86400),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: keyType.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(keyIdentifier: ski)
            },
            issuerPrivateKey: key
        )
        try self.init(id: id, keyType: keyType, certificate: certificate, privateKey: key, privateKeyPEM: keyPEM)
    }

    /// Restores a CA saved with `persisted`.
    init(persisted: Persisted) throws {
        let key: Certificate.PrivateKey
        switch persisted.keyType {
        case .rsa2048: key = Certificate.PrivateKey(try _RSA.Signing.PrivateKey(pemRepresentation: persisted.privateKeyPEM))
        case .p256: key = Certificate.PrivateKey(try P256.Signing.PrivateKey(pemRepresentation: persisted.privateKeyPEM))
        }
        try self.init(
            id: persisted.id, keyType: persisted.keyType,
            certificate: try Certificate(pemEncoded: persisted.certificatePEM),
            privateKey: key, privateKeyPEM: persisted.privateKeyPEM)
    }

    private init(id: String, keyType: KeyType, certificate: Certificate, privateKey: Certificate.PrivateKey,
                 privateKeyPEM: String) throws {
        self.id = id
        self.keyType = keyType
        self.certificate = certificate
        self.certificatePEM = try certificate.serializeAsPEM().pemString
        self.privateKey = privateKey
        self.privateKeyPEM = privateKeyPEM
        self.subjectKeyIdentifier = Self.keyIdentifier(of: privateKey.publicKey)
    }

    /// The CA as saved in the `--state` file.
    struct Persisted: Codable, Sendable {
        var id: String
        var keyType: KeyType
        var certificatePEM: String
        var privateKeyPEM: String
    }

    var persisted: Persisted {
        Persisted(id: id, keyType: keyType, certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
    }

    /// The `signature` field of issued certificates, in Cloudflare's spelling.
    var signatureName: String {
        switch keyType {
        case .rsa2048: "SHA256WithRSA"
        case .p256: "ECDSAWithSHA256"
        }
    }

    /// What the API reports about an issued certificate.
    struct Issued: Sendable {
        var pem: String
        var fingerprintSHA256: String
        var serialNumber: String
        var subjectKeyIdentifier: String
    }

    /// Signs an X.509 v3 client certificate (clientAuth) for `publicKey` and `subject`.
    func issue(
        subject: DistinguishedName,
        publicKey: Certificate.PublicKey,
        serialNumber: Certificate.SerialNumber,
        notBefore: Date,
        notAfter: Date
    ) throws -> Issued {
        let ski = Self.keyIdentifier(of: publicKey)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: serialNumber,
            publicKey: publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: keyType.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.clientAuth])
                SubjectKeyIdentifier(keyIdentifier: ski)
                AuthorityKeyIdentifier(keyIdentifier: subjectKeyIdentifier)
            },
            issuerPrivateKey: privateKey
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        return Issued(
            pem: try certificate.serializeAsPEM().pemString,
            fingerprintSHA256: Hex.encode(SHA256.hash(data: der)),
            serialNumber: Hex.encode(serialNumber.bytes),
            subjectKeyIdentifier: Hex.encode(ski))
    }

    /// A TLS server certificate for the mTLS gateway, valid a year for `hostnames` and `addresses` (IPv4 or IPv6
    /// bytes), with its new P-256 key: clients that trust this CA (`/__emulator/ca.pem`) verify the gateway.
    func issueServerCertificate(hostnames: [String], addresses: [[UInt8]], now: Date = Date())
        throws -> (certificate: Certificate, key: P256.Signing.PrivateKey)
    {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let names = hostnames.map { GeneralName.dnsName($0) }
            + addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Self.randomSerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: self.certificate.subject,
            subject: try DistinguishedName { CommonName(hostnames.first ?? "localhost") },
            signatureAlgorithm: keyType.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(keyIdentifier: Self.keyIdentifier(of: publicKey))
                AuthorityKeyIdentifier(keyIdentifier: subjectKeyIdentifier)
            },
            issuerPrivateKey: privateKey
        )
        return (certificate, key)
    }

    /// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING (`subjectPublicKeyInfoBytes` is
    /// that bit string's content, despite its name), as openssl computes it.
    static func keyIdentifier(of publicKey: Certificate.PublicKey) -> ArraySlice<UInt8> {
        SubjectKeyIdentifier(hash: publicKey).keyIdentifier
    }
}

extension CAKeyType {
    var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch self {
        case .rsa2048: .sha256WithRSAEncryption
        case .p256: .ecdsaWithSHA256
        }
    }
}

enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        for index in stride(from: 0, to: chars.count, by: 2) {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
