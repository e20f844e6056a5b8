import Crypto
import Foundation
import X509

extension CertificateAuthority {
    /// Issues a certificate for an accepted CSR and returns the record the API stores for it.
    func record(for request: SigningRequest, validityDays: Int, now: Date) throws -> CertificateRecord {
        let issuedOn = Timestamp.truncated(now)
        let expiresOn = issuedOn.addingTimeInterval(TimeInterval(validityDays) * 86400)
        let issued = try issue(
            subject: request.request.subject, publicKey: request.request.publicKey,
            serialNumber: Self.randomSerialNumber(), notBefore: issuedOn, notAfter: expiresOn)
        let subject = request.subjectFields
        return CertificateRecord(
            id: Identifier.make(),
            certificate: issued.pem,
            certificateAuthority: .init(id: id, name: Self.name),
            commonName: subject.commonName,
            country: subject.country,
            csr: request.storedPEM,
            expiresOn: Timestamp.format(expiresOn),
            fingerprintSha256: issued.fingerprintSHA256,
            issuedOn: Timestamp.format(issuedOn),
            location: subject.location,
            organization: subject.organization,
            organizationalUnit: subject.organizationalUnit,
            serialNumber: issued.serialNumber,
            signature: signatureName,
            ski: issued.subjectKeyIdentifier,
            state: subject.state,
            status: .active,
            validityDays: validityDays)
    }

    /// A seeded record: every field but the certificate, CSR, fingerprint and SKI, which `materialize` fills
    /// on first read (signing 100,000 certificates up front would take minutes).
    func seededRecord(commonName: String, status: CertificateStatus, validityDays: Int, now: Date) -> CertificateRecord {
        let issuedOn = Timestamp.truncated(now)
        let serial = Self.randomSerialNumber()
        return CertificateRecord(
            id: Identifier.make(), certificate: "",
            certificateAuthority: .init(id: id, name: Self.name),
            commonName: commonName, country: "", csr: "",
            expiresOn: Timestamp.format(issuedOn.addingTimeInterval(TimeInterval(validityDays) * 86400)),
            fingerprintSha256: "", issuedOn: Timestamp.format(issuedOn), location: "",
            organization: "cfcerts emulator seed", organizationalUnit: "", serialNumber: Hex.encode(serial.bytes),
            signature: signatureName, ski: "", state: "", status: status, validityDays: validityDays)
    }

    /// Signs the certificate (and a matching CSR) of a seeded record, keeping its serial number and dates.
    func materialize(_ record: CertificateRecord, subjectKey: P256.Signing.PrivateKey) throws -> CertificateRecord {
        guard record.certificate.isEmpty else { return record }
        let key = Certificate.PrivateKey(subjectKey)
        let subject = SubjectFields(commonName: record.commonName, organization: record.organization)
        let name = try subject.distinguishedName()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: name, privateKey: key, attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        let serialBytes = Hex.decode(record.serialNumber) ?? []
        let issued = try issue(
            subject: name, publicKey: key.publicKey,
            serialNumber: Certificate.SerialNumber(bytes: serialBytes),
            notBefore: Timestamp.parse(record.issuedOn) ?? Date(),
            notAfter: Timestamp.parse(record.expiresOn) ?? Date())
        var filled = record
        filled.certificate = issued.pem
        filled.csr = try csr.serializeAsPEM().pemString.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        filled.fingerprintSha256 = issued.fingerprintSHA256
        filled.ski = issued.subjectKeyIdentifier
        return filled
    }
}

extension CertificateAuthority {
    /// 20 random bytes, positive and without a leading zero byte, so the hex of `bytes` is exactly what
    /// `openssl x509 -serial` prints.
    static func randomSerialNumber() -> Certificate.SerialNumber {
        var bytes = (0..<20).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = (bytes[0] & 0x7f) | 0x10
        return Certificate.SerialNumber(bytes: bytes)
    }
}

/// RFC 3339 UTC timestamps with whole seconds, as the API writes `issued_on` and `expires_on`.
enum Timestamp {
    static func truncated(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    static func parse(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }
}
