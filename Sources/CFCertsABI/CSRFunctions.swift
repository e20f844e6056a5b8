import CCFCerts
import CFCerts

@c @implementation
public func cfcerts_csr_generate(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                 _ subject_json: UnsafePointer<CChar>?) -> Int32 {
    handOut(out) { () throws(CFCertsError) -> String in
        guard subject_json != nil else { throw Arguments.invalid("subject_json is NULL") }
        let fields = try Arguments.object(
            subject_json, name: "subject_json",
            allowed: ["common_name", "organization", "organizational_unit", "country", "state", "location", "key_type"])
        let subject = CSRSubject(
            commonName: try fields.required(try fields.string("common_name"), "common_name"),
            organization: try fields.string("organization"),
            organizationalUnit: try fields.string("organizational_unit"),
            country: try fields.string("country"), state: try fields.string("state"),
            locality: try fields.string("location"))
        let keyTypeName = try fields.string("key_type") ?? "p256"
        guard let keyType = CertificateSigningRequests.KeyType(rawValue: keyTypeName) else {
            throw Arguments.invalid("key_type must be p256 or rsa2048")
        }
        let generated = try CertificateSigningRequests.generate(subject: subject, keyType: keyType)
        struct Output: Encodable {
            let private_key_pem: String
            let csr_pem: String
            let key_type: String
        }
        return try Arguments.json(Output(
            private_key_pem: generated.privateKeyPEM, csr_pem: generated.csrPEM, key_type: keyType.rawValue))
    }
}

@c @implementation
public func cfcerts_csr_inspect(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                _ csr_pem: UnsafePointer<CChar>?) -> Int32 {
    handOut(out) { () throws(CFCertsError) -> String in
        let inspection = try CertificateSigningRequests.inspect(pem: try Arguments.string(csr_pem, name: "csr_pem"))
        struct Output: Encodable {
            let subject: CSRSubject
            let key_type: String
            let signature_valid: Bool
        }
        return try Arguments.json(Output(
            subject: inspection.subject, key_type: inspection.keyType, signature_valid: inspection.signatureIsValid))
    }
}
