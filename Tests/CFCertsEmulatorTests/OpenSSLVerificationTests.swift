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

            // The key identifier is RFC 5280 method 1: the SHA-1 of the subjectPublicKey BIT STRING's bits.
            let publicKeyFile = directory.appendingPathComponent("public.der")
            let publicKeyPEM = try await OpenSSL.run(["x509", "-in", certFile.path, "-noout", "-pubkey"])
            let pemFile = directory.appendingPathComponent("public.pem")
            try publicKeyPEM.stdout.write(to: pemFile, atomically: true, encoding: .utf8)
            #expect(try await OpenSSL.run(["pkey", "-pubin", "-in", pemFile.path, "-outform", "DER", "-out", publicKeyFile.path]).status == 0)
            let keyBits = try #require(Self.subjectPublicKeyBits(Array(try Data(contentsOf: publicKeyFile))))
            let bitsFile = directory.appendingPathComponent("bits.bin")
            try Data(keyBits).write(to: bitsFile)
            let sha1 = try await OpenSSL.run(["dgst", "-sha1", "-r", bitsFile.path])
            #expect(sha1.stdout.split(separator: " ").first.map(String.init) == ski)
            // And the CA's own key identifier is the issued certificate's authority key identifier.
            let aki = try await OpenSSL.run(["x509", "-in", certFile.path, "-noout", "-ext", "authorityKeyIdentifier"])
            let caSKI = try await OpenSSL.run(["x509", "-in", caFile.path, "-noout", "-ext", "subjectKeyIdentifier"])
            let caKeyID = try #require(caSKI.stdout.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces))
            #expect(caKeyID.count == 59 && aki.stdout.contains(caKeyID), "\(aki.stdout) \(caSKI.stdout)")

            let dates = try await OpenSSL.run(["x509", "-in", certFile.path, "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601"])
            #expect(dates.stdout.contains("notBefore=" + (result["issued_on"] as? String ?? "?").replacingOccurrences(of: "T", with: " ")))
        }
    }

    /// The bits of a DER SubjectPublicKeyInfo's BIT STRING (SEQUENCE { SEQUENCE algorithm, BIT STRING key }),
    /// without its unused-bits octet.
    static func subjectPublicKeyBits(_ der: [UInt8]) -> [UInt8]? {
        var index = 0
        func header(expecting tag: UInt8) -> Int? {
            guard index + 2 <= der.count, der[index] == tag else { return nil }
            let first = Int(der[index + 1])
            index += 2
            guard first & 0x80 != 0 else { return first }
            let octets = first & 0x7f
            guard octets <= 4, index + octets <= der.count else { return nil }
            let length = der[index..<index + octets].reduce(0) { $0 << 8 | Int($1) }
            index += octets
            return length
        }
        guard header(expecting: 0x30) != nil, let algorithm = header(expecting: 0x30) else { return nil }
        index += algorithm
        guard let bits = header(expecting: 0x03), bits >= 1, index + bits <= der.count, der[index] == 0 else { return nil }
        return Array(der[(index + 1)..<(index + bits)])
    }
}
