import CFCerts
import CFCertsEmulator
import CFCertsTestSupport
import Foundation
import Testing

@Suite("Hostname associations against the emulator")
struct HostnameAssociationTests {
    static let byoCA = "b2134436-2555-4acf-be5b-26c48136575e"

    @Test("PUT replaces the whole list, [] clears it, and the body always carries hostnames")
    func replaceAndClear() async throws {
        try await CoreHarness.with { (harness: CoreHarness) async throws in
            let associations = harness.client.hostnameAssociations
            #expect(try await associations.get(zoneID: harness.zone) == [])
            #expect(try await associations.replace(zoneID: harness.zone, hostnames: ["a.example.com", "b.example.com"])
                == ["a.example.com", "b.example.com"])
            #expect(try await associations.replace(zoneID: harness.zone, hostnames: ["c.example.com"]) == ["c.example.com"])
            #expect(try await associations.get(zoneID: harness.zone) == ["c.example.com"])
            #expect(try await associations.replace(zoneID: harness.zone, hostnames: []) == [])
            #expect(try await associations.get(zoneID: harness.zone) == [])
            let log = harness.requests
            #expect(log.map(\.method) == ["GET", "PUT", "PUT", "GET", "PUT", "GET"])
            #expect(log.allSatisfy { $0.path == "/client/v4/zones/\(harness.zone)/certificate_authorities/hostname_associations" })
        }
    }

    @Test("the managed CA's list and a BYO CA's list stay apart; the id travels as the query and in the body")
    func listsPerCA() async throws {
        try await CoreHarness.with { (harness: CoreHarness) async throws in
            let associations = harness.client.hostnameAssociations
            _ = try await associations.replace(zoneID: harness.zone, hostnames: ["managed.example.com"])
            _ = try await associations.replace(zoneID: harness.zone, hostnames: ["byo.example.com"],
                                               mtlsCertificateID: Self.byoCA)
            #expect(try await associations.get(zoneID: harness.zone) == ["managed.example.com"])
            #expect(try await associations.get(zoneID: harness.zone, mtlsCertificateID: Self.byoCA) == ["byo.example.com"])
            #expect(harness.requests.last?.query == "mtls_certificate_id=\(Self.byoCA)")
            // Another zone has lists of its own.
            #expect(try await associations.get(zoneID: CoreHarness.newZone()) == [])
        }
    }

    @Test("add and remove: case-insensitive, idempotent, the list the server answered")
    func addAndRemove() async throws {
        try await CoreHarness.with { (harness: CoreHarness) async throws in
            let associations = harness.client.hostnameAssociations
            #expect(try await associations.add(zoneID: harness.zone, hostnames: ["a.example.com", "A.example.com", "b.example.com"])
                == ["a.example.com", "b.example.com"])
            let puts = harness.requests.filter { $0.method == "PUT" }.count
            #expect(try await associations.add(zoneID: harness.zone, hostnames: ["B.EXAMPLE.COM"]) == ["a.example.com", "b.example.com"])
            #expect(harness.requests.filter { $0.method == "PUT" }.count == puts, "nothing missing: nothing written")
            #expect(try await associations.remove(zoneID: harness.zone, hostnames: ["A.Example.Com", "absent.example.com"])
                == ["b.example.com"])
            #expect(try await associations.remove(zoneID: harness.zone, hostnames: ["a.example.com"]) == ["b.example.com"])
            let refused = await #expect(throws: CFCertsError.self) {
                _ = try await associations.remove(zoneID: harness.zone, hostnames: ["b.example.com"], allowingEmpty: false)
            }
            #expect(refused?.kind == .invalidArgument)
            #expect(try await associations.get(zoneID: harness.zone) == ["b.example.com"])
            #expect(try await associations.remove(zoneID: harness.zone, hostnames: ["b.example.com"]) == [])
        }
    }

    @Test("bad ids and hostnames are refused before any request")
    func refusedBeforeSending() async throws {
        try await CoreHarness.with { (harness: CoreHarness) async throws in
            let associations = harness.client.hostnameAssociations
            for id in ["", "short", String(repeating: "a", count: 36), Self.byoCA + "0", "../" + Self.byoCA.dropFirst(3)] {
                let error = await #expect(throws: CFCertsError.self) {
                    _ = try await associations.get(zoneID: harness.zone, mtlsCertificateID: id)
                }
                #expect(error?.kind == .invalidArgument)
            }
            for hostnames in [[""], ["a b.example.com"], ["x\u{0}.example.com"], ["\u{e9}.example.com"],
                              [String(repeating: "a", count: 254)], ["a..example.com"], ["-a.example.com"],
                              ["a.example.com."], ["a.*.example.com"], ["*"], [String(repeating: "a", count: 64) + ".com"]] {
                let error = await #expect(throws: CFCertsError.self) {
                    _ = try await associations.replace(zoneID: harness.zone, hostnames: hostnames)
                }
                #expect(error?.kind == .invalidArgument)
            }
            for zone in ["", "..", "."] {
                await #expect(throws: CFCertsError.self) { _ = try await associations.get(zoneID: zone) }
            }
            #expect(harness.requests.isEmpty)
        }
    }

    @Test("a read-only token reads the lists and is refused a change, with the permission named")
    func permissions() async throws {
        try await CoreHarness.with(client: { $0.credentials = .apiToken(EmulatorConfiguration.defaultReadOnlyToken) }) { (harness: CoreHarness) async throws in
            let associations = harness.client.hostnameAssociations
            #expect(try await associations.get(zoneID: harness.zone) == [])
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await associations.replace(zoneID: harness.zone, hostnames: ["a.example.com"])
            }
            #expect(error?.kind == .permission)
            #expect(error?.message.contains("SSL and Certificates Write") == true)
        }
    }

    @Test("reset forgets the lists")
    func reset() async throws {
        try await CoreHarness.with { (harness: CoreHarness) async throws in
            _ = try await harness.client.hostnameAssociations.replace(zoneID: harness.zone, hostnames: ["a.example.com"])
            try harness.emulator.reset()
            #expect(try await harness.client.hostnameAssociations.get(zoneID: harness.zone) == [])
        }
    }

    @Test("the enforcement rule: the golden expression, the issuer's key identifier read from an issued certificate")
    func rule() async throws {
        try await CoreHarness.with { (harness: CoreHarness) async throws in
            let certificate = try await harness.createCertificate()
            let identifier = try MTLSEnforcementRule.issuerKeyIdentifier(ofCertificatePEM: certificate.certificate)
            let ca = try await OpenSSL.run(["x509", "-noout", "-ext", "subjectKeyIdentifier"],
                                           stdin: harness.emulator.caCertificatePEM)
            #expect(ca.status == 0)
            let expected = ca.stdout.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) }?
                .replacingOccurrences(of: ":", with: "")
            #expect(identifier == expected)
            #expect(identifier != certificate.ski.uppercased(), "the issuer's key id, not the certificate's own")
            let rule = try MTLSEnforcementRule(hostnames: ["API.example.com", "b.example.com", "api.example.com"],
                                               issuerKeyIdentifier: identifier)
            #expect(rule.expression == """
                (http.host in {"api.example.com" "b.example.com"} and (not cf.tls_client_auth.cert_verified \
                or cf.tls_client_auth.cert_revoked or cf.tls_client_auth.cert_issuer_ski ne "\(identifier)"))
                """)
            let wildcard = try MTLSEnforcementRule(hostnames: ["api.example.com", "*.devices.example.com"],
                                                   issuerKeyIdentifier: identifier)
            #expect(wildcard.expression == """
                ((http.host in {"api.example.com"} or ends_with(http.host, ".devices.example.com")) and (not \
                cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked or \
                cf.tls_client_auth.cert_issuer_ski ne "\(identifier)"))
                """)
            #expect(throws: CFCertsError.self) { _ = try MTLSEnforcementRule(hostnames: [], issuerKeyIdentifier: identifier) }
            #expect(throws: CFCertsError.self) { _ = try MTLSEnforcementRule(hostnames: ["a.example.com"], issuerKeyIdentifier: "xyz") }
        }
    }
}
