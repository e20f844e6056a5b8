import Crypto
import SwiftASN1

extension PKCS12Bundle {
    /// Whether `der` is a PKCS#12 file, as `make` writes them, that holds `certificatePEM` and that `password`
    /// opens with `profile`'s MAC (HMAC-SHA256 for `.modern`, HMAC-SHA1 for `.legacy`): what a fleet apply keeps
    /// and what it makes again. Nothing is decrypted: the MAC, checked first, vouches for the unencrypted key bag's
    /// `localKeyId`, the SHA-1 of the certificate it was made with. Without a password (a plan made where the
    /// bundles' secret is not at hand) the MAC is not checked: only the certificate and the MAC's algorithm are.
    ///
    /// False for anything else: another password or profile, another certificate, a damaged or foreign file, a
    /// MAC with more than 16 times `make`'s iterations (checking it would block for long).
    static func holds(certificatePEM: String, in der: [UInt8], password: String?, profile: PKCS12Profile) -> Bool {
        guard let file = try? PFXFields(der),
              let leaf = try? certificates(in: certificatePEM, of: "the certificate"), leaf.count == 1 else { return false }
        guard file.macAlgorithm == (profile == .modern ? PKCS12Encoder.OID.sha256 : PKCS12Encoder.OID.sha1),
              (1...iterations * 16).contains(file.macIterations) else { return false }
        if let password {
            let mac = PKCS12Encoder.mac(of: file.authenticatedSafe, password: password, salt: file.macSalt,
                                        iterations: file.macIterations, profile: profile)
            guard mac == file.mac else { return false }
        }
        return file.keyBagLocalKeyIDs.contains(Array(Insecure.SHA1.hash(data: leaf[0].der)))
    }

    /// The parts of a PFX the check reads:
    ///
    ///     PFX { version 3, authSafe ContentInfo { data, [0] EXPLICIT OCTET STRING AuthenticatedSafe },
    ///           macData { DigestInfo { AlgorithmIdentifier, digest }, macSalt, iterations DEFAULT 1 } }
    ///     AuthenticatedSafe ::= SEQUENCE OF ContentInfo (the unencrypted ones: data { SafeContents })
    ///     SafeBag { bagId, [0] EXPLICIT value, bagAttributes SET OF { attrId, SET OF value } OPTIONAL }
    private struct PFXFields {
        var authenticatedSafe: [UInt8] = []
        var macAlgorithm: ASN1ObjectIdentifier?
        var mac: [UInt8] = []
        var macSalt: [UInt8] = []
        var macIterations = 1
        /// The `localKeyId` of each pkcs8ShroudedKeyBag in the unencrypted parts.
        var keyBagLocalKeyIDs: [[UInt8]] = []

        init(_ der: [UInt8]) throws {
            try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                guard try Int(derEncoded: &nodes) == 3 else { throw ASN1Error.invalidASN1Object(reason: "version") }
                guard let authSafe = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "authSafe") }
                authenticatedSafe = try Self.dataContent(authSafe)
                guard let macData = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "macData") }
                try DER.sequence(macData, identifier: .sequence) { fields in
                    guard let digestInfo = fields.next() else { throw ASN1Error.invalidASN1Object(reason: "DigestInfo") }
                    try DER.sequence(digestInfo, identifier: .sequence) { digest in
                        guard let algorithm = digest.next() else { throw ASN1Error.invalidASN1Object(reason: "algorithm") }
                        macAlgorithm = try DER.sequence(algorithm, identifier: .sequence) { parameters in
                            defer { Self.skipRest(&parameters) }  // NULL, or nothing
                            return try ASN1ObjectIdentifier(derEncoded: &parameters)
                        }
                        mac = Array(try ASN1OctetString(derEncoded: &digest).bytes)
                    }
                    macSalt = Array(try ASN1OctetString(derEncoded: &fields).bytes)
                    if let count = fields.next() { macIterations = try Int(derEncoded: count) }
                }
            }
            let parts = try Self.children(of: try DER.parse(authenticatedSafe), identifier: .sequence)
            for part in parts {
                guard let contents = try? Self.dataContent(part) else { continue }  // the encrypted part
                for bag in try Self.children(of: try DER.parse(contents), identifier: .sequence) {
                    if let id = try Self.localKeyIDOfKeyBag(bag) { keyBagLocalKeyIDs.append(id) }
                }
            }
        }

        private static func skipRest(_ nodes: inout ASN1NodeCollection.Iterator) {
            while nodes.next() != nil {}
        }

        /// The elements of a SEQUENCE OF or SET OF.
        private static func children(of node: ASN1Node, identifier: ASN1Identifier) throws -> [ASN1Node] {
            guard node.identifier == identifier, case .constructed(let elements) = node.content else {
                throw ASN1Error.unexpectedFieldType(node.identifier)
            }
            return Array(elements)
        }

        /// The octets of a ContentInfo of type data.
        private static func dataContent(_ node: ASN1Node) throws -> [UInt8] {
            try DER.sequence(node, identifier: .sequence) { info in
                guard try ASN1ObjectIdentifier(derEncoded: &info) == PKCS12Encoder.OID.data else {
                    throw ASN1Error.invalidASN1Object(reason: "not data")
                }
                return try DER.explicitlyTagged(&info, tagNumber: 0, tagClass: .contextSpecific) {
                    Array(try ASN1OctetString(derEncoded: $0).bytes)
                }
            }
        }

        private static func localKeyIDOfKeyBag(_ bag: ASN1Node) throws -> [UInt8]? {
            try DER.sequence(bag, identifier: .sequence) { fields in
                defer { Self.skipRest(&fields) }  // DER.sequence refuses elements left unread
                guard try ASN1ObjectIdentifier(derEncoded: &fields) == PKCS12Encoder.OID.pkcs8ShroudedKeyBag else { return nil }
                _ = fields.next()  // the encrypted key
                guard let attributes = fields.next() else { return nil }
                for attribute in try Self.children(of: attributes, identifier: .set) {
                    let id = try DER.sequence(attribute, identifier: .sequence) { parts -> [UInt8]? in
                        defer { Self.skipRest(&parts) }
                        guard try ASN1ObjectIdentifier(derEncoded: &parts) == PKCS12Encoder.OID.localKeyID,
                              let values = parts.next() else { return nil }
                        return try DER.set(of: ASN1OctetString.self, identifier: .set, rootNode: values).first.map { Array($0.bytes) }
                    }
                    if let id { return id }
                }
                return nil
            }
        }
    }
}
