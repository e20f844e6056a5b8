import CFCerts
import CFCertsEmulator
import Foundation
import Testing

/// Cloudflare answers a valid token without the operation's permission with the same 403 code 10000 as some
/// invalid credentials: the error says both, names the permission, and is `.permission` once the credentials
/// were seen to work.
@Suite("A token without the write permission")
struct PermissionTests {
    static func readOnly(_ configuration: inout Configuration) {
        configuration.credentials = .apiToken(EmulatorConfiguration.defaultReadOnlyToken)
    }

    @Test("a read-only token lists and gets, and is refused revoke as a permission error after a read worked")
    func revokeAfterRead() async throws {
        try await CoreHarness.with { writer in
            let created = try await writer.createCertificate()
            var configuration = Configuration(credentials: .apiToken(EmulatorConfiguration.defaultReadOnlyToken),
                                              baseURL: writer.running.baseURL)
            configuration.maxRetries = 0
            let reader = try CFCertsClient(configuration: configuration)
            let listed = try await reader.clientCertificates.listPage(zoneID: writer.zone)
            #expect(listed.certificates.map(\.id) == [created.id])
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await reader.clientCertificates.revoke(zoneID: writer.zone, id: created.id)
            }
            #expect(error?.kind == .permission)
            #expect(error?.httpStatus == 403)
            #expect(error?.cloudflareErrors.first?.code == 10000)
            #expect(error?.message.contains("SSL and Certificates Write") == true)
            // Nothing changed.
            #expect(try await writer.client.clientCertificates.get(zoneID: writer.zone, id: created.id).status == .active)
            try await reader.shutdown()
        }
    }

    @Test("a first call refused with code 10000 is an authentication error that names both causes")
    func firstCallAmbiguous() async throws {
        try await CoreHarness.with(client: Self.readOnly) { harness in
            let csr = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "a.example.com")).csrPEM
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.create(zoneID: harness.zone, csr: csr, validityDays: 30)
            }
            #expect(error?.kind == .authentication)
            #expect(error?.message.contains("SSL and Certificates Write") == true)
            #expect(error?.message.contains("invalid") == true)
            #expect(try await harness.client.clientCertificates.listPage(zoneID: harness.zone).certificates.isEmpty)
        }
    }

    @Test("unknown credentials on a read name the read permission, and stay an authentication error")
    func unknownToken() async throws {
        try await CoreHarness.with(client: { $0.credentials = .apiToken("not-a-known-token") }) { harness in
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: "abc")
            }
            #expect(error?.kind == .authentication)
            #expect(error?.message.contains("SSL and Certificates Read") == true)
        }
    }
}
