import Crypto
import SwiftASN1
import X509
import _CryptoExtras

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a PKCS#12 file is protected.
public enum PKCS12Profile: String, Sendable, Codable, CaseIterable {
    /// What OpenSSL 3 writes by default: the key and the certificates encrypted with PBES2 (PBKDF2-HMAC-SHA256,
    /// AES-256-CBC, 2048 iterations, 16-byte salts), the file under an HMAC-SHA256. For current systems (tested:
    /// OpenSSL 3.0, Python `cryptography`, OpenJDK 17's keytool). The default.
    case modern
    /// pbeWithSHAAnd3-KeyTripleDES-CBC for the key and the certificates (2048 iterations, 8-byte salts), the file
    /// under an HMAC-SHA1: for older Android, iOS and Windows keystores that cannot read `modern`.
    case legacy
}

/// Device bundles: a certificate, its private key and the CA chain in one password-protected PKCS#12 file
/// (`.p12`, `.pfx`; RFC 7292), the form iOS, Android, Windows and Java keystores import.
///
/// The file holds two parts, as `openssl pkcs12 -export` writes them: the certificates (the leaf first, then the
/// chain) in an encrypted-data part, and the private key (PKCS#8, encrypted: a pkcs8ShroudedKeyBag) in a data part.
/// The leaf and the key share a `localKeyId` attribute (the SHA-1 of the certificate) and, when given, a
/// `friendlyName` (the name a keystore shows, its alias). The whole is under an HMAC keyed by the password.
public enum PKCS12Bundle {
    /// The longest password taken, in UTF-8 bytes.
    public static let maxPasswordBytes = 1024
    /// The most CA certificates taken for the chain.
    public static let maxChainCertificates = 32
    /// Iterations of PBKDF2, of the PKCS#12 KDF and of the MAC's key derivation (OpenSSL 3's default).
    static let iterations = 2048

    /// A PKCS#12 file (DER) holding `certificatePEM`, its private key and the CA certificates of `chainPEMs`.
    ///
    /// - Parameters:
    ///   - certificatePEM: one PEM certificate (`-----BEGIN CERTIFICATE-----`), e.g. the API's `certificate`.
    ///   - privateKeyPEM: its private key: PKCS#8 (`BEGIN PRIVATE KEY`, what `CertificateSigningRequests.generate`
    ///     writes), SEC1 (`BEGIN EC PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`); P-256, P-384, P-521 or RSA of
    ///     2048 bits or more. It must be the certificate's key.
    ///   - chainPEMs: CA certificates, in the order to store them (each string may hold several PEM certificates).
    ///     Default none: Cloudflare's managed CA is not downloadable through the API.
    ///   - password: non-empty, at most `maxPasswordBytes` bytes of UTF-8, no NUL character. Read as UTF-8 by PBES2
    ///     and as a BMPString by the PKCS#12 KDF, as OpenSSL and Java read it. Never part of an error.
    ///   - profile: `.modern` (default) or `.legacy`.
    ///   - friendlyName: the name keystores show for the key and certificate (at most 64 characters, no control
    ///     characters); nil (default): none.
    /// - Throws: `CFCertsError` of kind `.invalidArgument` for anything refused.
    public static func make(certificatePEM: String, privateKeyPEM: String, chainPEMs: [String] = [],
                            password: String, profile: PKCS12Profile = .modern,
                            friendlyName: String? = nil) throws(CFCertsError) -> [UInt8] {
        try check(password: password)
        if let friendlyName { try check(friendlyName: friendlyName) }
        let leaf = try certificates(in: certificatePEM, of: "the certificate")
        guard leaf.count == 1 else {
            throw .invalidArgument("the certificate PEM holds \(leaf.count) certificates; pass the chain's apart")
        }
        let key = try privateKey(privateKeyPEM)
        guard key.publicKey == leaf[0].certificate.publicKey else {
            throw .invalidArgument("the private key is not the certificate's (their public keys differ)")
        }
        let chain = try chainCertificates(chainPEMs)
        do {
            return try PKCS12Encoder(password: password, profile: profile).pfx(
                leafDER: leaf[0].der, chainDERs: chain.map(\.der), privateKeyDER: key.pkcs8DER,
                friendlyName: friendlyName)
        } catch {
            throw CFCertsError(kind: .invalidArgument, message: "could not encode the PKCS#12 file: \(type(of: error))")
        }
    }

    /// Checks what `make` would check of everything but the certificate, so that a command can refuse before a
    /// certificate is issued: the password, the private key when given, the chain.
    public static func check(password: String, privateKeyPEM: String? = nil, chainPEMs: [String] = [])
        throws(CFCertsError)
    {
        try check(password: password)
        if let privateKeyPEM { _ = try privateKey(privateKeyPEM) }
        _ = try chainCertificates(chainPEMs)
    }

    /// Refuses (`.invalidArgument`) a private key that is not the key of `csrPEM`: a bundle made from them once
    /// the certificate is issued would be refused.
    public static func checkKey(_ privateKeyPEM: String, matchesCSR csrPEM: String) throws(CFCertsError) {
        let key = try privateKey(privateKeyPEM)
        let normalized = LineEndings.normalized(csrPEM).trimmingWhitespace()
        guard let csr = try? CertificateSigningRequest(pemEncoded: normalized) else {
            throw .invalidArgument("not a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)")
        }
        guard key.publicKey == csr.publicKey else {
            throw .invalidArgument("the private key is not the CSR's (their public keys differ)")
        }
    }

    /// A password kept in a file: its first line, without the line ending (as `openssl -passin file:` reads it).
    /// Refused: a file that is missing, not a regular file, empty, of more than one line (a second line would be
    /// silently ignored), or longer than `maxPasswordBytes`, or not UTF-8. `source` names it in errors (e.g.
    /// "--p12-password-file").
    public static func password(fromFile path: String, named source: String) throws(CFCertsError) -> String {
        func refused(_ why: String) -> CFCertsError { SecretFile.refusal(path, source, why) }
        var bytes = try SecretFile.bytes(of: path, named: source, limit: maxPasswordBytes + 2)
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else { throw refused("the file is empty") }
        guard !bytes.contains(0x0A) else { throw refused("more than one line: the file must hold the password alone") }
        guard bytes.count <= maxPasswordBytes else { throw refused("longer than \(maxPasswordBytes) bytes") }
        guard let password = String(validating: bytes, as: UTF8.self) else { throw refused("not UTF-8 text") }
        return password
    }

    // MARK: - Checks

    static func check(password: String) throws(CFCertsError) {
        guard !password.isEmpty else { throw .invalidArgument("the PKCS#12 password is empty") }
        guard password.utf8.count <= maxPasswordBytes else {
            throw .invalidArgument("the PKCS#12 password is longer than \(maxPasswordBytes) bytes")
        }
        guard !password.utf8.contains(0) else { throw .invalidArgument("the PKCS#12 password holds a NUL character") }
    }

    /// Refuses (`.invalidArgument`) a friendly name `make` would refuse: empty, over 64 characters, or holding
    /// control characters.
    public static func check(friendlyName: String) throws(CFCertsError) {
        guard !friendlyName.isEmpty, friendlyName.count <= 64 else {
            throw .invalidArgument("the friendly name must be 1 to 64 characters")
        }
        guard !friendlyName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument("the friendly name holds control characters")
        }
    }

    // MARK: - Reading PEM

    struct ParsedCertificate {
        let der: [UInt8]
        let certificate: Certificate
    }

    /// Every `CERTIFICATE` block of `pem` (other text around them is ignored); at least one.
    static func certificates(in pem: String, of what: String) throws(CFCertsError) -> [ParsedCertificate] {
        let normalized = LineEndings.normalized(pem)
        guard let documents = try? PEMDocument.parseMultiple(pemString: normalized) else {
            throw .invalidArgument("\(what) is not valid PEM")
        }
        let blocks = documents.filter { $0.discriminator == "CERTIFICATE" }
        guard !blocks.isEmpty else { throw .invalidArgument("\(what) holds no PEM certificate (-----BEGIN CERTIFICATE-----)") }
        var parsed: [ParsedCertificate] = []
        for (index, block) in blocks.enumerated() {
            guard let certificate = try? Certificate(derEncoded: block.derBytes) else {
                throw .invalidArgument("\(what): PEM certificate \(index + 1) is not an X.509 certificate")
            }
            parsed.append(ParsedCertificate(der: block.derBytes, certificate: certificate))
        }
        return parsed
    }

    static func chainCertificates(_ chainPEMs: [String]) throws(CFCertsError) -> [ParsedCertificate] {
        var chain: [ParsedCertificate] = []
        for (index, pem) in chainPEMs.enumerated() {
            chain += try certificates(in: pem, of: "chain PEM \(index + 1)")
            guard chain.count <= maxChainCertificates else {
                throw .invalidArgument("the chain holds more than \(maxChainCertificates) certificates")
            }
        }
        return chain
    }

    struct ParsedKey {
        let pkcs8DER: [UInt8]
        let publicKey: Certificate.PublicKey
    }

    static func privateKey(_ pem: String) throws(CFCertsError) -> ParsedKey {
        let normalized = LineEndings.normalized(pem)
        guard let documents = try? PEMDocument.parseMultiple(pemString: normalized) else {
            throw .invalidArgument("the private key is not valid PEM")
        }
        if documents.contains(where: { $0.discriminator == "ENCRYPTED PRIVATE KEY" }) {
            throw .invalidArgument("the private key is encrypted: decrypt it first (openssl pkey -in KEY -out PLAIN.key)")
        }
        let keys = documents.filter { ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"].contains($0.discriminator) }
        guard keys.count == 1 else {
            throw .invalidArgument(keys.isEmpty
                ? "the private key holds no PEM private key (-----BEGIN PRIVATE KEY-----)"
                : "the private key PEM holds \(keys.count) private keys")
        }
        let single = keys[0].pemString
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: single) {
            return ParsedKey(pkcs8DER: Array(key.derRepresentation), publicKey: Certificate.PrivateKey(key).publicKey)
        }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: single) {
            return ParsedKey(pkcs8DER: Array(key.derRepresentation), publicKey: Certificate.PrivateKey(key).publicKey)
        }
        if let key = try? P521.Signing.PrivateKey(pemRepresentation: single) {
            return ParsedKey(pkcs8DER: Array(key.derRepresentation), publicKey: Certificate.PrivateKey(key).publicKey)
        }
        if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: single) {
            return ParsedKey(pkcs8DER: Array(key.pkcs8DERRepresentation), publicKey: Certificate.PrivateKey(key).publicKey)
        }
        throw .invalidArgument("the private key is not a P-256, P-384, P-521 or RSA (2048 bits or more) key")
    }
}
