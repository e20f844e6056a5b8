import CFCerts
import CFCertsTestSupport
import Foundation
import Testing

@Suite("Operations end to end against the emulator")
struct OperationsTests {
    @Test("create from a generated CSR, get, listPage, revoke, reactivate")
    func lifecycle() async throws {
        try await CoreHarness.with { harness in
            let certificates = harness.client.clientCertificates
            let subject = CSRSubject(commonName: "svc.example.com", organization: "Example", organizationalUnit: "Ops",
                                     country: "US", state: "CA", locality: "Austin")
            let generated = try CertificateSigningRequests.generate(subject: subject, keyType: .rsa2048)
            // PKCS#8, as documented (and as the P-256 key is), not PKCS#1's "BEGIN RSA PRIVATE KEY".
            #expect(generated.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
            let created = try await certificates.create(zoneID: harness.zone, csr: generated.csrPEM, validityDays: 90)
            #expect(created.status == .active)
            #expect(created.commonName == "svc.example.com")
            #expect(created.organization == "Example")
            #expect(created.organizationalUnit == "Ops")
            #expect(created.country == "US")
            #expect(created.state == "CA")
            #expect(created.location == "Austin")
            #expect(created.validityDays == 90)
            #expect(created.certificateAuthority.name == "Cloudflare Managed CA for account")
            #expect(created.csr == generated.csrPEM.trimmingCharacters(in: .whitespacesAndNewlines) + "\n")
            #expect(!created.csr.contains("\r"))
            let issued = try #require(created.issuedOnDate)
            let expires = try #require(created.expiresOnDate)
            #expect(expires.timeIntervalSince(issued) == 90 * 86400)

            let fetched = try await certificates.get(zoneID: harness.zone, id: created.id)
            #expect(fetched == created)

            let page = try await certificates.listPage(zoneID: harness.zone)
            #expect(page.certificates.map(\.id) == [created.id])
            #expect(page.resultInfo == ResultInfo(count: 1, page: 1, perPage: 20, totalCount: 1, totalPages: 1))

            let revoking = try await certificates.revoke(zoneID: harness.zone, id: created.id)
            #expect(revoking.status == .pendingRevocation)
            let reactivating = try await certificates.reactivate(zoneID: harness.zone, id: created.id)
            #expect(reactivating.status == .pendingReactivation)
            try harness.emulator.settleTransitions()
            #expect(try await certificates.get(zoneID: harness.zone, id: created.id).status == .active)

            // One auth scheme, our user agent, the reference's request shapes.
            let log = harness.requests
            #expect(log.allSatisfy { $0.auth == "bearer" })
            #expect(log.allSatisfy { $0.userAgent == "cfcerts/\(CFCertsVersion.string)" })
            #expect(log.map(\.method) == ["POST", "GET", "GET", "DELETE", "PATCH", "GET"])
        }
    }

    @Test("API errors carry kind, status, Cloudflare's errors and the ray id")
    func apiErrors() async throws {
        try await CoreHarness.with { harness in
            let certificates = harness.client.clientCertificates
            let missing = await #expect(throws: CFCertsError.self) {
                _ = try await certificates.get(zoneID: harness.zone, id: "00000000-0000-0000-0000-000000000000")
            }
            #expect(missing?.kind == .notFound)
            #expect(missing?.httpStatus == 404)
            #expect(missing?.cloudflareErrors.first?.code == 1404)
            #expect(missing?.rayID?.hasSuffix("-EMU") == true)

            let invalid = await #expect(throws: CFCertsError.self) {
                _ = try await certificates.create(zoneID: harness.zone, csr: "garbage", validityDays: 10)
            }
            #expect(invalid?.kind == .api)
            #expect(invalid?.httpStatus == 400)
            #expect(invalid?.cloudflareErrors.first?.code == 1003)
            #expect(invalid?.cloudflareErrors.first?.source?.pointer == "/csr")

            let refused = await #expect(throws: CFCertsError.self) {
                _ = try await certificates.reactivate(zoneID: harness.zone, id: try await harness.createCertificate().id)
            }
            #expect(refused?.kind == .api)
            #expect(refused?.cloudflareErrors.first?.code == 1009)
        }
    }

    @Test("authentication and permission failures have their own kinds")
    func authenticationKinds() async throws {
        try await CoreHarness.with(client: { $0.credentials = .apiToken("wrong-token") }) { harness in
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .authentication)
            #expect(error?.httpStatus == 403)
        }
        try await CoreHarness.with(client: {
            $0.credentials = .apiKey(email: "emulator@example.com", key: "0123456789abcdef0123456789abcdef01234")
        }) { harness in
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(harness.requests.map(\.auth) == ["email+key"])
        }
        try await CoreHarness.with(client: { $0.credentials = .userServiceKey("v1.0-cfcerts-emulator-service-key") }) { harness in
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(harness.requests.map(\.auth) == ["service_key"])
        }
    }

    @Test("a generated CSR passes openssl req -verify, and inspect reads it back", arguments: CertificateSigningRequests.KeyType.allCases)
    func generatedCSR(keyType: CertificateSigningRequests.KeyType) async throws {
        let subject = CSRSubject(commonName: "device-42", organization: "Fleet", country: "de")
        let generated = try CertificateSigningRequests.generate(subject: subject, keyType: keyType)
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csrFile = directory.appendingPathComponent("req.pem")
        let keyFile = directory.appendingPathComponent("key.pem")
        try generated.csrPEM.write(to: csrFile, atomically: true, encoding: .utf8)
        try generated.privateKeyPEM.write(to: keyFile, atomically: true, encoding: .utf8)
        let verify = try await OpenSSL.run(["req", "-in", csrFile.path, "-noout", "-verify", "-subject", "-nameopt", "RFC2253"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("CN=device-42,O=Fleet,C=DE"))
        // The private key is the CSR's.
        let keyPublic = try await OpenSSL.run(["pkey", "-in", keyFile.path, "-pubout"])
        let csrPublic = try await OpenSSL.run(["req", "-in", csrFile.path, "-noout", "-pubkey"])
        #expect(keyPublic.status == 0)
        #expect(keyPublic.stdout == csrPublic.stdout)

        let inspection = try CertificateSigningRequests.inspect(pem: generated.csrPEM.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(inspection.subject == CSRSubject(commonName: "device-42", organization: "Fleet", country: "DE"))
        #expect(inspection.keyType == keyType.rawValue)
        #expect(inspection.signatureIsValid)
    }

    @Test("inspect reads openssl CSRs, reports broken signatures and refuses garbage")
    func inspect() async throws {
        let csr = try await OpenSSL.makeCSR()
        let inspection = try CertificateSigningRequests.inspect(pem: csr)
        #expect(inspection.subject.commonName == "client.example.com")
        #expect(inspection.subject.locality == "San Francisco")
        #expect(inspection.keyType == "rsa2048")
        #expect(inspection.signatureIsValid)
        #expect(try CertificateSigningRequests.inspect(pem: try OpenSSL.breakSignature(of: csr)).signatureIsValid == false)
        for garbage in ["", "hello", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"] {
            #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
                _ = try CertificateSigningRequests.inspect(pem: garbage)
            }
        }
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
            _ = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: ""))
        }
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
            _ = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "x", country: "USA"))
        }
    }
}
