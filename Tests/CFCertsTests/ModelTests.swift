import CFCerts
import Foundation
import Testing

@Suite("Models")
struct ModelTests {
    static let reference = #"""
    {"id":"023e105f4ecef8ad9ca31a8372d0c353","certificate":"-----BEGIN CERTIFICATE-----\nMIIDmDCCAoC...dhDDE\n-----END CERTIFICATE-----","certificate_authority":{"id":"568b6b74-7b0c-4755-8840-4e3b8c24adeb","name":"Cloudflare Managed CA for account"},"common_name":"Cloudflare","country":"US","csr":"-----BEGIN CERTIFICATE REQUEST-----\r\nMIICY....\r\n-----END CERTIFICATE REQUEST-----\r\n","expires_on":"2033-02-20T23:18:00Z","fingerprint_sha256":"256c24690243359fb8cf139a125bd05ebf1d968b71e4caf330718e9f5c8a89ea","issued_on":"2023-02-23T23:18:00Z","location":"Somewhere","organization":"Organization","organizational_unit":"Organizational Unit","serial_number":"3bb94ff144ac567b9f75ad664b6c55f8d5e48182","signature":"SHA256WithRSA","ski":"8e375af1389a069a0f921f8cc8e1eb12d784b949","state":"CA","status":"active","validity_days":3650}
    """#

    @Test("the reference's example decodes, with dates and a normalised CSR")
    func referenceExample() throws {
        let certificate = try JSONDecoder().decode(ClientCertificate.self, from: Data(Self.reference.utf8))
        #expect(certificate.id == "023e105f4ecef8ad9ca31a8372d0c353")
        #expect(certificate.status == .active)
        #expect(certificate.validityDays == 3650)
        #expect(certificate.csr == "-----BEGIN CERTIFICATE REQUEST-----\nMIICY....\n-----END CERTIFICATE REQUEST-----\n")
        #expect(certificate.issuedOnDate == Date(timeIntervalSince1970: 1_677_194_280))
        #expect(certificate.certificateAuthority.id == "568b6b74-7b0c-4755-8840-4e3b8c24adeb")
        #expect(certificate.fingerprintSHA256.count == 64)
    }

    @Test("unknown statuses and unknown fields are kept, and re-encoding loses nothing")
    func tolerance() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(Self.reference.utf8)) as? [String: Any])
        json["status"] = "pending_expiry"
        json["new_field"] = ["nested": [1, 2]]
        let data = try JSONSerialization.data(withJSONObject: json)
        let certificate = try JSONDecoder().decode(ClientCertificate.self, from: data)
        #expect(certificate.status == ClientCertificateStatus(rawValue: "pending_expiry"))
        #expect(certificate.additionalFields["new_field"] == .object(["nested": .array([.number(1), .number(2)])]))

        let reencoded = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(certificate)) as? [String: Any])
        #expect(Set(reencoded.keys) == Set(json.keys))
        #expect(reencoded["status"] as? String == "pending_expiry")
        #expect((reencoded["new_field"] as? [String: Any])?["nested"] as? [Int] == [1, 2])
        #expect(reencoded["validity_days"] as? Int == 3650)
    }

    @Test("missing optional fields decode as empty, a missing id does not")
    func missingFields() throws {
        let minimal = try JSONDecoder().decode(ClientCertificate.self, from: Data(#"{"id":"x","status":"revoked"}"#.utf8))
        #expect(minimal.commonName.isEmpty)
        #expect(minimal.validityDays == nil)
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(ClientCertificate.self, from: Data(#"{"status":"active"}"#.utf8))
        }
    }
}
