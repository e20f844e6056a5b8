import CFCertsTestSupport
import Foundation
import Testing

@Suite("Client certificate routes")
struct CertificateRoutesTests {
    @Test("create, get, list, revoke and reactivate, each in the API's envelope")
    func everyRoute() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            let csr = try await OpenSSL.makeCSR(key: "ec:prime256v1")

            let created = try await emulator.create(zone: zone, csr: csr, validityDays: 30)
            #expect(created.status == 200)
            #expect(created.success == true)
            #expect((created.json?["errors"] as? [Any])?.isEmpty == true)
            #expect((created.json?["messages"] as? [Any])?.isEmpty == true)
            #expect(created.headers["cf-ray"].first?.hasSuffix("-EMU") == true)
            #expect(created.headers["Ratelimit"].first?.hasPrefix("\"default\";r=") == true)
            #expect(created.headers["Ratelimit-Policy"].first == "\"default\";q=1200;w=300")
            let result = try #require(created.result)
            let id = try #require(result["id"] as? String)
            // The API's identifier: 32 lower-case hex digits (the schema allows at most 32 characters).
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
            #expect(result["status"] as? String == "active")
            #expect(result["common_name"] as? String == "client.example.com")
            #expect(result["organization"] as? String == "Example Inc")
            #expect(result["organizational_unit"] as? String == "Platform")
            #expect(result["country"] as? String == "US")
            #expect(result["state"] as? String == "CA")
            #expect(result["location"] as? String == "San Francisco")
            #expect(result["validity_days"] as? Int == 30)
            #expect(result["signature"] as? String == "ECDSAWithSHA256")
            #expect((result["csr"] as? String)?.contains("\r\n") == true)
            let authority = try #require(result["certificate_authority"] as? [String: Any])
            #expect(authority["name"] as? String == "Cloudflare Managed CA for account")
            let authorityID = authority["id"] as? String ?? ""
            #expect(authorityID.count == 32 && authorityID.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(authorityID)")
            let issued = try #require(ISO8601DateFormatter().date(from: result["issued_on"] as? String ?? ""))
            let expires = try #require(ISO8601DateFormatter().date(from: result["expires_on"] as? String ?? ""))
            #expect(expires.timeIntervalSince(issued) == 30 * 86400)
            #expect(result.keys.sorted() == CertificateRoutesTests.resultKeys)

            let fetched = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone, id))
            #expect(fetched.status == 200)
            #expect(fetched.result?["fingerprint_sha256"] as? String == result["fingerprint_sha256"] as? String)
            #expect(fetched.json?["result_info"] == nil)

            let listed = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone))
            #expect(listed.results.map { $0["id"] as? String } == [id])
            #expect(listed.resultInfo?["count"] as? Int == 1)
            #expect(listed.resultInfo?["total_count"] as? Int == 1)
            #expect(listed.resultInfo?["total_pages"] as? Int == 1)
            #expect(listed.resultInfo?["per_page"] as? Int == 20)
            #expect(listed.resultInfo?["page"] as? Int == 1)

            let revoked = try await emulator.send(.DELETE, EmulatorHarness.certificatesPath(zone, id))
            #expect(revoked.status == 200)
            #expect(revoked.result?["status"] as? String == "pending_revocation")

            let reactivated = try await emulator.send(.PATCH, EmulatorHarness.certificatesPath(zone, id), json: ["reactivate": true])
            #expect(reactivated.status == 200)
            #expect(reactivated.result?["status"] as? String == "pending_reactivation")
        }
    }

    static let resultKeys = [
        "certificate", "certificate_authority", "common_name", "country", "csr", "expires_on", "fingerprint_sha256",
        "id", "issued_on", "location", "organization", "organizational_unit", "serial_number", "signature", "ski",
        "state", "status", "validity_days",
    ]

    @Test("unknown ids are 404 envelopes; bad zone ids are 7003; unknown routes 7000; wrong methods 405 with Allow")
    func routingErrors() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            let missing = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone, "00000000-0000-0000-0000-000000000000"))
            #expect(missing.status == 404)
            #expect(missing.success == false)
            #expect(missing.errorCode == 1404)
            #expect(missing.json?.keys.contains("result") == true)

            for badZone in ["not-a-zone", "023E105F4ECEF8AD9CA31A8372D0C353", "023e105f4ecef8ad9ca31a8372d0c35", "%2e%2e"] {
                let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(badZone))
                #expect(reply.status == 400, "zone \(badZone)")
                #expect(reply.errorCode == 7003, "zone \(badZone)")
            }
            let noRoute = try await emulator.send(.GET, "/client/v4/zones/\(zone)/origin_certificates")
            #expect(noRoute.status == 400)
            #expect(noRoute.errorCode == 7000)
            #expect(noRoute.headers["cf-ray"].isEmpty == false)

            let wrongMethod = try await emulator.send(.PUT, EmulatorHarness.certificatesPath(zone), json: [:])
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.errorCode == 7001)
            // RFC 9110: a 405 lists the methods the resource has.
            #expect(wrongMethod.headers["allow"] == ["GET, POST"])
            let wrongOnOne = try await emulator.send(.POST, EmulatorHarness.certificatesPath(zone, "0123"), json: [:])
            #expect(wrongOnOne.status == 405)
            #expect(wrongOnOne.headers["allow"] == ["GET, PATCH, DELETE"])

            let traversal = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone, "%2e%2e%2fsecret"))
            #expect(traversal.status == 404)
        }
    }
}
