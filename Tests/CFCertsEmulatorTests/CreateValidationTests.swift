import CFCertsTestSupport
import Foundation
import Testing

@Suite("Create: CSR and body validation")
struct CreateValidationTests {
    @Test("a CSR with a broken signature is refused with 1004")
    func brokenSignature() async throws {
        try await EmulatorHarness.with { emulator in
            let broken = try OpenSSL.breakSignature(of: await OpenSSL.makeCSR(key: "ec:prime256v1"))
            let reply = try await emulator.create(zone: EmulatorHarness.newZone(), csr: broken)
            #expect(reply.status == 400)
            #expect(reply.errorCode == 1004)
            #expect((reply.errors.first?["source"] as? [String: Any])?["pointer"] as? String == "/csr")
        }
    }

    @Test("garbage CSRs are refused with 1003", arguments: [
        "hello",
        "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----",
        "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----",
        "",
    ])
    func garbageCSR(csr: String) async throws {
        try await EmulatorHarness.with { emulator in
            let reply = try await emulator.create(zone: EmulatorHarness.newZone(), csr: csr)
            #expect(reply.status == 400)
            #expect(reply.errorCode == 1003)
        }
    }

    @Test("a CSR with \\r\\n line endings is accepted")
    func crlfCSR() async throws {
        try await EmulatorHarness.with { emulator in
            let csr = try await OpenSSL.makeCSR(key: "ec:prime256v1").replacingOccurrences(of: "\n", with: "\r\n")
            let reply = try await emulator.create(zone: EmulatorHarness.newZone(), csr: csr)
            #expect(reply.status == 200)
        }
    }

    @Test("a 10 MB body is refused with a 400 envelope (1007)")
    func hugeBody() async throws {
        try await EmulatorHarness.with { emulator in
            let huge = Array("{\"csr\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 10 << 20) + Array("\",\"validity_days\":10}".utf8)
            let reply = try await emulator.send(.POST, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()), body: huge)
            #expect(reply.status == 400)
            #expect(reply.errorCode == 1007)
        }
    }

    @Test("malformed JSON, invalid UTF-8 and non-object bodies are refused with 1001", arguments: [
        Array("{\"csr\": ".utf8), Array("not json".utf8), [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d], Array("[1,2]".utf8), [],
    ])
    func malformedJSON(body: [UInt8]) async throws {
        try await EmulatorHarness.with { emulator in
            let reply = try await emulator.send(.POST, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()), body: body)
            #expect(reply.status == 400)
            #expect(reply.errorCode == 1001)
        }
    }

    @Test("missing and wrong-typed fields")
    func fields() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            let path = EmulatorHarness.certificatesPath(zone)
            let csr = try await OpenSSL.makeCSR(key: "ec:prime256v1")
            let cases: [([String: Any], Int)] = [
                (["validity_days": 10], 1002),
                (["csr": csr], 1002),
                (["csr": 42, "validity_days": 10], 1003),
                (["csr": csr, "validity_days": "10"], 1005),
                (["csr": csr, "validity_days": 10.5], 1005),
                (["csr": csr, "validity_days": 0], 1005),
                (["csr": csr, "validity_days": 3651], 1005),
            ]
            for (body, code) in cases {
                let reply = try await emulator.send(.POST, path, json: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.errorCode == code, "\(body)")
            }
            // Nothing was created by any refused request.
            #expect(try await emulator.send(.GET, path).resultInfo?["total_count"] as? Int == 0)
            #expect(try await emulator.create(zone: zone, csr: csr, validityDays: 3650).status == 200)
            #expect(try await emulator.create(zone: zone, csr: csr, validityDays: 1).status == 200)
        }
    }
}
