import Crypto
import SwiftASN1
import _CryptoExtras

/// Writes the DER of a PKCS#12 file (RFC 7292), encrypted per `profile` (PBES2 from RFC 8018, or the PKCS#12 PBE of
/// RFC 7292 appendix C), in the layout `openssl pkcs12 -export` uses:
///
///     PFX { version 3,
///           authSafe: data { AuthenticatedSafe {
///               encryptedData { SafeContents { certBag(leaf, attributes), certBag(CA)... } },
///               data { SafeContents { pkcs8ShroudedKeyBag(key, attributes) } } } },
///           macData { HMAC over the AuthenticatedSafe, macSalt, iterations } }
struct PKCS12Encoder {
    let password: String
    let profile: PKCS12Profile

    enum OID {
        static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
        static let encryptedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 6]
        static let pkcs8ShroudedKeyBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 2]
        static let certBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 3]
        static let x509Certificate: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 22, 1]
        static let friendlyName: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 20]
        static let localKeyID: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 21]
        static let pbeWithSHAAnd3KeyTripleDESCBC: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 1, 3]
        static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
        static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
        static let hmacWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 9]
        static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]
        static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
        static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    }

    /// Salt length of every derivation: RFC 8018 asks for at least 8 bytes; 16 for `modern`.
    var saltByteCount: Int { profile == .modern ? 16 : 8 }

    func pfx(leafDER: [UInt8], chainDERs: [[UInt8]], privateKeyDER: [UInt8], friendlyName: String?) throws -> [UInt8] {
        let attributes = try bagAttributes(localKeyID: Array(Insecure.SHA1.hash(data: leafDER)), friendlyName: friendlyName)
        var certificateBags: [[UInt8]] = [try certificateBag(leafDER, attributes: attributes)]
        for der in chainDERs { certificateBags.append(try certificateBag(der, attributes: nil)) }
        let certificates = try sequence { for bag in certificateBags { $0.serializeRawBytes(bag) } }
        let keyBag = try safeBag(OID.pkcs8ShroudedKeyBag, attributes: attributes) { coder in
            let (algorithm, ciphertext) = try encrypt(privateKeyDER)
            try coder.appendConstructedNode(identifier: .sequence) { info in
                info.serializeRawBytes(algorithm)
                try info.serialize(ASN1OctetString(contentBytes: ciphertext[...]))
            }
        }
        let keys = try sequence { $0.serializeRawBytes(keyBag) }

        let authenticatedSafe = try sequence { coder in
            // The certificates: EncryptedData { version 0, EncryptedContentInfo { data, algorithm, [0] IMPLICIT ciphertext } }.
            let (algorithm, ciphertext) = try encrypt(certificates)
            try coder.appendConstructedNode(identifier: .sequence) { info in
                try info.serialize(OID.encryptedData)
                try info.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { explicit in
                    try explicit.appendConstructedNode(identifier: .sequence) { encryptedData in
                        try encryptedData.serialize(0)
                        try encryptedData.appendConstructedNode(identifier: .sequence) { content in
                            try content.serialize(OID.data)
                            content.serializeRawBytes(algorithm)
                            try ASN1OctetString(contentBytes: ciphertext[...]).serialize(
                                into: &content, withIdentifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
                        }
                    }
                }
            }
            // The key: data { SafeContents }.
            try coder.serializeRawBytes(dataContentInfo(keys))
        }

        return try sequence { coder in
            try coder.serialize(3)
            coder.serializeRawBytes(try dataContentInfo(authenticatedSafe))
            coder.serializeRawBytes(try macData(over: authenticatedSafe))
        }
    }

    // MARK: - Structures

    private func sequence(_ body: (inout DER.Serializer) throws -> Void) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence, body)
        return serializer.serializedBytes
    }

    /// ContentInfo { id-data, [0] EXPLICIT OCTET STRING content }.
    private func dataContentInfo(_ content: [UInt8]) throws -> [UInt8] {
        try sequence { coder in
            try coder.serialize(OID.data)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { explicit in
                try explicit.serialize(ASN1OctetString(contentBytes: content[...]))
            }
        }
    }

    /// SafeBag { bagId, [0] EXPLICIT bagValue, bagAttributes SET OF Attribute OPTIONAL }.
    private func safeBag(_ type: ASN1ObjectIdentifier, attributes: [UInt8]?,
                         value: (inout DER.Serializer) throws -> Void) throws -> [UInt8] {
        try sequence { coder in
            try coder.serialize(type)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific, value)
            if let attributes { coder.serializeRawBytes(attributes) }
        }
    }

    /// CertBag { x509Certificate, [0] EXPLICIT OCTET STRING der } in a SafeBag.
    private func certificateBag(_ der: [UInt8], attributes: [UInt8]?) throws -> [UInt8] {
        try safeBag(OID.certBag, attributes: attributes) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { bag in
                try bag.serialize(OID.x509Certificate)
                try bag.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { explicit in
                    try explicit.serialize(ASN1OctetString(contentBytes: der[...]))
                }
            }
        }
    }

    /// SET OF Attribute: friendlyName (a BMPString) when given, and localKeyId.
    private func bagAttributes(localKeyID: [UInt8], friendlyName: String?) throws -> [UInt8] {
        struct Attribute: DERSerializable {
            let type: ASN1ObjectIdentifier
            /// The one value's DER.
            let value: [UInt8]
            func serialize(into coder: inout DER.Serializer) throws {
                try coder.appendConstructedNode(identifier: .sequence) { attribute in
                    try attribute.serialize(type)
                    attribute.appendConstructedNode(identifier: .set) { $0.serializeRawBytes(value) }
                }
            }
        }
        func der(_ value: some DERSerializable) throws -> [UInt8] {
            var serializer = DER.Serializer()
            try serializer.serialize(value)
            return serializer.serializedBytes
        }
        var attributes = [Attribute(type: OID.localKeyID, value: try der(ASN1OctetString(contentBytes: localKeyID[...])))]
        if let friendlyName {
            let bmp = PKCS12KeyDerivation.bmpPassword(friendlyName).dropLast(2)
            attributes.append(Attribute(type: OID.friendlyName, value: try der(ASN1BMPString(contentBytes: bmp))))
        }
        var serializer = DER.Serializer()
        try serializer.serializeSetOf(attributes)
        return serializer.serializedBytes
    }

    // MARK: - Encryption and MAC

    private func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The AlgorithmIdentifier (DER) and the ciphertext of `plaintext`, under a fresh salt and IV.
    func encrypt(_ plaintext: [UInt8]) throws -> (algorithm: [UInt8], ciphertext: [UInt8]) {
        let salt = randomBytes(saltByteCount)
        switch profile {
        case .modern:
            // PBES2 { PBKDF2 { salt, iterations, prf hmacWithSHA256 }, aes256-CBC { iv } } (RFC 8018 A.4, B.2.5);
            // the password as its UTF-8 bytes, as OpenSSL and Java pass it to PBKDF2.
            let iv = randomBytes(16)
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32,
                unsafeUncheckedRounds: PKCS12Bundle.iterations)
            let ciphertext = try AES._CBC.encrypt(plaintext, using: key, iv: AES._CBC.IV(ivBytes: iv))
            let algorithm = try sequence { coder in
                try coder.serialize(OID.pbes2)
                try coder.appendConstructedNode(identifier: .sequence) { parameters in
                    try parameters.appendConstructedNode(identifier: .sequence) { derivation in
                        try derivation.serialize(OID.pbkdf2)
                        try derivation.appendConstructedNode(identifier: .sequence) { pbkdf2 in
                            try pbkdf2.serialize(ASN1OctetString(contentBytes: salt[...]))
                            try pbkdf2.serialize(PKCS12Bundle.iterations)
                            try pbkdf2.appendConstructedNode(identifier: .sequence) { prf in
                                try prf.serialize(OID.hmacWithSHA256)
                                try prf.serialize(ASN1Null())
                            }
                        }
                    }
                    try parameters.appendConstructedNode(identifier: .sequence) { scheme in
                        try scheme.serialize(OID.aes256CBC)
                        try scheme.serialize(ASN1OctetString(contentBytes: iv[...]))
                    }
                }
            }
            return (algorithm, Array(ciphertext))
        case .legacy:
            // pbeWithSHAAnd3-KeyTripleDES-CBC { salt, iterations }: key and IV from the PKCS#12 KDF over SHA-1.
            let bmp = PKCS12KeyDerivation.bmpPassword(password)
            let key = PKCS12KeyDerivation.derive(Insecure.SHA1.self, password: bmp, salt: salt,
                                                 iterations: PKCS12Bundle.iterations, purpose: .encryptionKey, byteCount: 24)
            let iv = PKCS12KeyDerivation.derive(Insecure.SHA1.self, password: bmp, salt: salt,
                                                iterations: PKCS12Bundle.iterations, purpose: .iv, byteCount: 8)
            let algorithm = try sequence { coder in
                try coder.serialize(OID.pbeWithSHAAnd3KeyTripleDESCBC)
                try coder.appendConstructedNode(identifier: .sequence) { parameters in
                    try parameters.serialize(ASN1OctetString(contentBytes: salt[...]))
                    try parameters.serialize(PKCS12Bundle.iterations)
                }
            }
            return (algorithm, TripleDES.cbcEncrypt(plaintext, key: key, iv: iv))
        }
    }

    /// MacData { DigestInfo { algorithm, HMAC }, macSalt, iterations }: the HMAC (SHA-256 for `modern`, SHA-1 for
    /// `legacy`) of the AuthenticatedSafe's DER, keyed by the PKCS#12 KDF (purpose 3) over the same hash.
    private func macData(over content: [UInt8]) throws -> [UInt8] {
        let salt = randomBytes(saltByteCount)
        let mac = Self.mac(of: content, password: password, salt: salt, iterations: PKCS12Bundle.iterations,
                           profile: profile)
        return try sequence { coder in
            try coder.appendConstructedNode(identifier: .sequence) { digestInfo in
                try digestInfo.appendConstructedNode(identifier: .sequence) { algorithm in
                    try algorithm.serialize(profile == .modern ? OID.sha256 : OID.sha1)
                    try algorithm.serialize(ASN1Null())
                }
                try digestInfo.serialize(ASN1OctetString(contentBytes: mac[...]))
            }
            try coder.serialize(ASN1OctetString(contentBytes: salt[...]))
            try coder.serialize(PKCS12Bundle.iterations)
        }
    }

    /// The HMAC of a file's content: HMAC-SHA256 (`modern`) or HMAC-SHA1 (`legacy`), keyed by the PKCS#12 KDF
    /// (purpose 3) over the same hash, as long as its output.
    static func mac(of content: [UInt8], password: String, salt: [UInt8], iterations: Int,
                    profile: PKCS12Profile) -> [UInt8] {
        let bmp = PKCS12KeyDerivation.bmpPassword(password)
        switch profile {
        case .modern:
            let key = PKCS12KeyDerivation.derive(SHA256.self, password: bmp, salt: salt, iterations: iterations,
                                                 purpose: .macKey, byteCount: SHA256.byteCount)
            return Array(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key)))
        case .legacy:
            let key = PKCS12KeyDerivation.derive(Insecure.SHA1.self, password: bmp, salt: salt, iterations: iterations,
                                                 purpose: .macKey, byteCount: Insecure.SHA1.byteCount)
            return Array(HMAC<Insecure.SHA1>.authenticationCode(for: content, using: SymmetricKey(data: key)))
        }
    }
}
