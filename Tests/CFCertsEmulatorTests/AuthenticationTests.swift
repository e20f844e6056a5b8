import CFCertsEmulator
import Foundation
import Testing

@Suite("Authentication")
struct AuthenticationTests {
    static let keyHeaders = ["X-Auth-Email": EmulatorConfiguration.defaultEmail, "X-Auth-Key": EmulatorConfiguration.defaultAPIKey]

    @Test("accepted: bearer token, email + key, user service key")
    func accepted() async throws {
        try await EmulatorHarness.with { emulator in
            let path = EmulatorHarness.certificatesPath(EmulatorHarness.newZone())
            for headers in [EmulatorHarness.bearer, Self.keyHeaders,
                            ["X-Auth-User-Service-Key": EmulatorConfiguration.defaultServiceKey]] {
                let reply = try await emulator.send(.GET, path, headers: headers)
                #expect(reply.status == 200, "\(headers.keys.sorted())")
            }
            let log = try await emulator.requests()
            #expect(log.map { $0["auth"] as? String } == ["bearer", "email+key", "service_key"])
            // The log names schemes only: no secret appears in it.
            let raw = try await emulator.send(.GET, "/__emulator/requests", headers: [:]).text
            #expect(!raw.contains(EmulatorConfiguration.defaultToken))
            #expect(!raw.contains(EmulatorConfiguration.defaultAPIKey))
            #expect(!raw.contains(EmulatorConfiguration.defaultServiceKey))
        }
    }

    @Test("missing credentials: 400 with 9106")
    func missing() async throws {
        try await EmulatorHarness.with { emulator in
            let path = EmulatorHarness.certificatesPath(EmulatorHarness.newZone())
            for headers in [[:], ["X-Auth-Email": "a@example.com"], ["X-Auth-Key": "abc123"]] {
                let reply = try await emulator.send(.GET, path, headers: headers)
                #expect(reply.status == 400, "\(headers)")
                #expect(reply.errorCode == 9106, "\(headers)")
            }
        }
    }

    @Test("malformed credentials: 400 with 6003")
    func malformed() async throws {
        try await EmulatorHarness.with { emulator in
            let path = EmulatorHarness.certificatesPath(EmulatorHarness.newZone())
            let cases: [[String: String]] = [
                ["Authorization": "Basic dXNlcjpwYXNz"],
                ["Authorization": "Bearer"],
                ["Authorization": "Bearer has spaces in it"],
                ["Authorization": "\(EmulatorConfiguration.defaultToken)"],
                ["X-Auth-Email": "not-an-email", "X-Auth-Key": EmulatorConfiguration.defaultAPIKey],
                ["X-Auth-Email": EmulatorConfiguration.defaultEmail, "X-Auth-Key": "bad key!"],
            ]
            for headers in cases {
                let reply = try await emulator.send(.GET, path, headers: headers)
                #expect(reply.status == 400, "\(headers)")
                #expect(reply.errorCode == 6003, "\(headers)")
            }
        }
    }

    @Test("unknown credentials: 403 with 10000, and configured credentials replace the defaults")
    func unknown() async throws {
        try await EmulatorHarness.with({ $0.tokens = ["custom-token-1"] }) { emulator in
            let path = EmulatorHarness.certificatesPath(EmulatorHarness.newZone())
            let cases: [[String: String]] = [
                ["Authorization": "Bearer \(EmulatorConfiguration.defaultToken)"],
                ["X-Auth-Email": "other@example.com", "X-Auth-Key": EmulatorConfiguration.defaultAPIKey],
                ["X-Auth-User-Service-Key": "v1.0-unknown"],
            ]
            for headers in cases {
                let reply = try await emulator.send(.GET, path, headers: headers)
                #expect(reply.status == 403, "\(headers)")
                #expect(reply.errorCode == 10000, "\(headers)")
            }
            #expect(try await emulator.send(.GET, path, headers: ["Authorization": "Bearer custom-token-1"]).status == 200)
        }
    }
}
