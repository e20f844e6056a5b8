import CFCerts
import CFCertsEmulator
import Foundation
import Testing

@Suite("Bad answers and bad input")
struct ErrorHandlingTests {
    @Test("success:false with HTTP 200 is an api error with Cloudflare's errors")
    func successFalse() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .successFalse, method: "GET", code: 1234, message: "quota exceeded"))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .api)
            #expect(error?.httpStatus == 200)
            #expect(error?.cloudflareErrors == [CloudflareMessage(code: 1234, message: "quota exceeded")])
            #expect(error?.description.contains("quota exceeded") == true)
        }
    }

    @Test("an HTML 502 is an api error carrying the status, after the allowed retries")
    func html() async throws {
        try await CoreHarness.with(client: { $0.maxRetries = 0 }) { harness in
            try harness.emulator.arm(.init(kind: .html, method: "GET", status: 502))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .api)
            #expect(error?.httpStatus == 502)
            #expect(error?.message.contains("non-JSON") == true)
        }
    }

    @Test("a truncated body and a wrong shape are decoding errors")
    func decoding() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .truncated, method: "GET"))
            let truncated = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(truncated?.kind == .decoding)

            try harness.emulator.arm(.init(kind: .body, method: "GET", body: #"{"success":true,"errors":[],"messages":[],"result":{"id":1}}"#))
            let shape = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: "x")
            }
            #expect(shape?.kind == .decoding)
            #expect(shape?.message.contains("id") == true)
        }
    }

    @Test("a response over the size cap is refused")
    func sizeCap() async throws {
        try await CoreHarness.with(client: { $0.maxResponseBytes = 1000 }) { harness in
            try harness.emulator.arm(.init(kind: .body, method: "GET", body: String(repeating: " ", count: 5000) + "{}"))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .decoding)
            #expect(error?.message.contains("1000 bytes") == true)
        }
    }

    @Test("ids that could leave their path segment never reach the server",
          arguments: ["", ".", "..", "a\u{0}b", "line\nbreak", String(repeating: "x", count: 1 << 20)])
    func refusedIDs(id: String) async throws {
        try await CoreHarness.with { harness in
            let certificates = harness.client.clientCertificates
            await #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try await certificates.get(zoneID: harness.zone, id: id) }
            await #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try await certificates.revoke(zoneID: harness.zone, id: id) }
            await #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try await certificates.listPage(zoneID: id) }
            #expect(harness.requests.isEmpty)
        }
    }

    @Test("../x and other reserved characters stay inside one path segment")
    func encodedIDs() async throws {
        try await CoreHarness.with { harness in
            for id in ["../x", "a/b", "q?x=1", "h#f", "%2e%2e", "ü"] {
                let error = await #expect(throws: CFCertsError.self) {
                    _ = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: id)
                }
                #expect(error?.kind == .notFound, "\(id)")
            }
            let paths = harness.requests.map(\.path)
            let prefix = "/client/v4/zones/\(harness.zone)/client_certificates/"
            #expect(paths == ["..%2Fx", "a%2Fb", "q%3Fx%3D1", "h%23f", "%252e%252e", "%C3%BC"].map { prefix + $0 })
        }
    }

    @Test("the token appears in no error description and no debug log line")
    func noSecrets() async throws {
        let token = EmulatorConfiguration.defaultToken
        try await CoreHarness.with { harness in
            _ = try await harness.createCertificate()
            // The final answer echoes the token in every text field of Cloudflare's errors.
            let echo = #"{"success":false,"errors":[{"code":10000,"message":"bad token TOKEN","documentation_url":"https://x.example/TOKEN","source":{"pointer":"/TOKEN"}}],"messages":[],"result":null}"#
                .replacingOccurrences(of: "TOKEN", with: token)
            try harness.emulator.arm(.init(kind: .status, method: "GET", status: 500, message: "echo \(token)"))
            try harness.emulator.arm(.init(kind: .body, method: "GET", count: 3, status: 403, body: echo))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            var dumped = ""
            dump(error, to: &dumped)
            let texts = [error.map { "\($0)" } ?? "", String(reflecting: error as Any), dumped,
                         "\(harness.client.configuration.credentials)"]
            for text in texts { #expect(!text.contains(token)) }
            #expect(error?.httpStatus == 403)
            #expect(error?.cloudflareErrors.first?.documentationURL == "https://x.example/<redacted>")
            #expect(error?.cloudflareErrors.first?.source?.pointer == "/<redacted>")
            #expect(error?.message.contains("bad token <redacted>") == true)
            #expect(!harness.logs.all.isEmpty)
            #expect(harness.logs.all.contains { $0.contains("Authorization: <redacted>") })
            for line in harness.logs.all { #expect(!line.contains(token)) }
        }
    }
}
