import CFCertsTestSupport
import Foundation
import Testing

@Suite("Issued certificates, judged by openssl")
struct OpenSSLVerificationTests {
    @Test("an openssl CSR becomes a certificate that verifies against the downloaded CA, with matching fields")
    func issuedCertificateVerifies() async throws {
        // The default CA (RSA-2048), as on Cloudflare.
        try await EmulatorHarness.with({ $0.caKeyType = .rsa2048 }) { emulator in
            let csr = try await OpenSSL.makeCSR()
            let reply = try await emulator.create(zone: EmulatorHarness.newZone(), csr: csr, validityDays: 365)
            let result = try #require(reply.result)
            #expect(result["signature"] as? String == "SHA256WithRSA")
            let certificate = try #require(result["certificate"] as? String)
            let caPEM = try await emulator.send(.GET, "/__emulator/ca.pem", headers: [:])
            #expect(caPEM.status == 200)

            let directory = try OpenSSL.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let caFile = directory.appendingPathComponent("ca.pem")
            let certFile = directory.appendingPathComponent("cert.pem")
            try caPEM.text.write(to: caFile, atomically: true, encoding: .utf8)
            try (certificate + "\n").write(to: certFile, atomically: true, encoding: .utf8)

            let verify = try await OpenSSL.run(["verify", "-purpose", "sslclient", "-CAfile", caFile.path, certFile.path])
            #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
            #expect(verify.stdout.contains(": OK"))

            let fields = try await OpenSSL.run(["x509", "-in", certFile.path, "-noout", "-fingerprint", "-sha256", "-serial", "-subject", "-ext", "subjectKeyIdentifier,extendedKeyUsage", "-nameopt", "RFC2253"])
            #expect(fields.status == 0)
            let fingerprint = try #require(fields.stdout.firstLine(after: "sha256 Fingerprint=") ?? fields.stdout.firstLine(after: "SHA256 Fingerprint="))
            #expect(fingerprint.replacingOccurrences(of: ":", with: "").lowercased() == result["fingerprint_sha256"] as? String)
            let serial = try #require(fields.stdout.firstLine(after: "serial="))
            #expect(serial.lowercased() == result["serial_number"] as? String)
            #expect(fields.stdout.contains("TLS Web Client Authentication"))
            let ski = try #require(result["ski"] as? String)
            #expect(fields.stdout.replacingOccurrences(of: ":", with: "").lowercased().contains(ski))
            #expect(fields.stdout.contains("CN=client.example.com,OU=Platform,O=Example Inc,L=San Francisco,ST=CA,C=US"))

            // The key identifier is RFC 5280 method 1, as openssl would compute it for the same key.
            let csrFile = directory.appendingPathComponent("req.pem")
            try csr.write(to: csrFile, atomically: true, encoding: .utf8)
            #expect(try await OpenSSL.run(["req", "-in", csrFile.path, "-noout", "-verify"]).status == 0)

            let dates = try await OpenSSL.run(["x509", "-in", certFile.path, "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601"])
            #expect(dates.stdout.contains("notBefore=" + (result["issued_on"] as? String ?? "?").replacingOccurrences(of: "T", with: " ")))
        }
    }
}
