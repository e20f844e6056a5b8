import AsyncHTTPClient
import CFCertsTestSupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import Testing
import X509

@testable import CFCertsEmulator

/// The mTLS gateway with a Swift HTTPS client (async-http-client on NIO SSL): each certificate the emulator
/// issues authenticates, revocation blocks on the next request, and the upstream sees only the gateway's headers.
@Suite("mTLS gateway")
struct MTLSGatewayTests {
    /// A client identity: a P-256 key and a certificate (PEM).
    struct Identity {
        var keyPEM: String
        var certificatePEM: String
    }

    /// An emulator with its gateway, and helpers to create certificates and call the gateway with one.
    struct Gateway {
        let emulator: EmulatorHarness
        let gateway: RunningGateway

        static func with<T>(_ configure: (inout EmulatorConfiguration) -> Void = { _ in },
                            _ body: (Gateway) async throws -> T) async throws -> T {
            try await EmulatorHarness.with({ configuration in
                configuration.mtlsPort = 0
                configuration.mtlsEnforce = .all  // these suites test the rule; associations: Tests/cli/test_gateway_associations.py
                configure(&configuration)
            }) { emulator in
                let gateway = try await MTLSGateway(emulator: emulator.running.emulator).start()
                do {
                    let result = try await body(Gateway(emulator: emulator, gateway: gateway))
                    await gateway.stop()
                    return result
                } catch {
                    await gateway.stop()
                    throw error
                }
            }
        }

        /// A key and CSR from openssl, a certificate from the emulator's API: (identity, certificate id).
        func issue(zone: String, commonName: String = "device.example.com") async throws -> (Identity, String) {
            let (keyPEM, csrPEM) = try await MTLSGatewayTests.keyAndCSR(commonName: commonName)
            let reply = try await emulator.create(zone: zone, csr: csrPEM)
            let result = try #require(reply.result)
            return (Identity(keyPEM: keyPEM, certificatePEM: try #require(result["certificate"] as? String)),
                    try #require(result["id"] as? String))
        }

        /// GET `path` on the gateway, with `identity` if given: (status, JSON body).
        func call(_ path: String = "/", as identity: Identity?, headers: [(String, String)] = [])
            async throws -> (Int, [String: Any])
        {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(emulator.running.emulator.caCertificatePEM.utf8), format: .pem)])
            if let identity {
                tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: Array(identity.certificatePEM.utf8), format: .pem))]
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem))
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            do {
                var request = HTTPClientRequest(url: "https://localhost:\(gateway.port)\(path)")
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                let response = try await client.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                try await client.shutdown()
                let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
                return (Int(response.status.code), json)
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    static func keyAndCSR(commonName: String) async throws -> (String, String) {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("key.pem").path
        let output = try await OpenSSL.run(["req", "-new", "-nodes", "-subj", "/O=Example Inc/CN=\(commonName)",
                                            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                            "-keyout", keyPath])
        guard output.status == 0 else { throw HarnessError("openssl req failed: \(output.stderr)") }
        return (try String(contentsOfFile: keyPath, encoding: .utf8), output.stdout)
    }

    static func fields(_ body: [String: Any]) -> [String: Any] { body["tls_client_auth"] as? [String: Any] ?? [:] }

    @Test("an active certificate passes with its fields; revoked it is blocked; reactivated it passes again")
    func lifecycle() async throws {
        try await Gateway.with { gateway in
            let zone = EmulatorHarness.newZone()
            let (identity, id) = try await gateway.issue(zone: zone)
            let record = try #require(try await gateway.emulator.send(.GET, EmulatorHarness.certificatesPath(zone, id)).result)

            let (status, body) = try await gateway.call("/orders?x=1", as: identity)
            #expect(status == 200)
            #expect(body["path"] as? String == "/orders")
            let fields = Self.fields(body)
            #expect(fields["cert_presented"] as? Bool == true)
            #expect(fields["cert_verified"] as? Bool == true)
            #expect(fields["cert_revoked"] as? Bool == false)
            #expect(fields["cert_fingerprint_sha256"] as? String == record["fingerprint_sha256"] as? String)
            #expect(fields["cert_serial"] as? String == (record["serial_number"] as? String)?.uppercased())
            #expect(fields["cert_subject_dn"] as? String == "CN=device.example.com,O=Example Inc")
            #expect(fields["cert_subject_dn_legacy"] as? String == "/O=Example Inc/CN=device.example.com")
            #expect((fields["cert_issuer_dn"] as? String)?.hasPrefix("CN=Cloudflare Managed CA for account") == true)
            let pem = identity.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            #expect(fields["cert_rfc9440"] as? String == ":\(pem):")
            let notAfter = try #require(fields["cert_not_after"] as? String)
            #expect(notAfter.range(of: #"^[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d \d{4} GMT$"#, options: .regularExpression) != nil)

            _ = try await gateway.emulator.send(.DELETE, EmulatorHarness.certificatesPath(zone, id))
            let (blocked, refusal) = try await gateway.call(as: identity)
            #expect(blocked == 403)
            #expect(refusal["failed_condition"] as? String == "cert_revoked")
            #expect(Self.fields(refusal)["cert_verified"] as? Bool == true, "a revoked certificate still verifies")

            _ = try await gateway.emulator.send(.PATCH, EmulatorHarness.certificatesPath(zone, id), json: ["reactivate": true])
            #expect(try await gateway.call(as: identity).0 == 200)
        }
    }

    @Test("a certificate the CA signed but the store forgot (revoked, then reset) is refused as revoked")
    func forgottenAfterReset() async throws {
        try await Gateway.with { gateway in
            let zone = EmulatorHarness.newZone()
            let (identity, id) = try await gateway.issue(zone: zone)
            _ = try await gateway.emulator.send(.DELETE, EmulatorHarness.certificatesPath(zone, id))
            #expect(try await gateway.emulator.send(.POST, "/__emulator/reset", headers: [:]).status == 200)
            let (status, refusal) = try await gateway.call(as: identity)
            #expect(status == 403)
            #expect(refusal["failed_condition"] as? String == "cert_revoked")
            #expect(Self.fields(refusal)["cert_verified"] as? Bool == true)
            #expect(Self.fields(refusal)["cert_revoked"] as? Bool == true)
        }
    }

    @Test("no certificate, an expired one, one not yet valid and one from a foreign CA are refused, each for its reason")
    func refusals() async throws {
        try await Gateway.with { gateway in
            let (none, noneBody) = try await gateway.call(as: nil)
            #expect(none == 403)
            #expect(noneBody["failed_condition"] as? String == "cert_presented")
            #expect(Self.fields(noneBody)["cert_presented"] as? Bool == false)

            let authority = gateway.emulator.running.emulator.store.authority
            for (offset, reason) in [(-10 * 86400.0, "certificate has expired"), (10 * 86400.0, "certificate is not yet valid")] {
                let (keyPEM, csrPEM) = try await Self.keyAndCSR(commonName: "dated.example.com")
                let csr = try CertificateSigningRequest(pemEncoded: csrPEM)
                let issued = try authority.issue(subject: csr.subject, publicKey: csr.publicKey,
                                                 serialNumber: CertificateAuthority.randomSerialNumber(),
                                                 notBefore: Date().addingTimeInterval(offset - 86400),
                                                 notAfter: Date().addingTimeInterval(offset))
                let (status, body) = try await gateway.call(as: Identity(keyPEM: keyPEM, certificatePEM: issued.pem))
                #expect(status == 403)
                #expect(body["failed_condition"] as? String == "cert_verified")
                #expect(body["verify_error"] as? String == reason)
            }

            let directory = try OpenSSL.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let key = directory.appendingPathComponent("k.pem").path, cert = directory.appendingPathComponent("c.pem").path
            let made = try await OpenSSL.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                              "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=foreign", "-days", "2"])
            #expect(made.status == 0)
            let foreign = Identity(keyPEM: try String(contentsOfFile: key, encoding: .utf8),
                                   certificatePEM: try String(contentsOfFile: cert, encoding: .utf8))
            let (status, body) = try await gateway.call(as: foreign)
            #expect(status == 403)
            #expect(body["failed_condition"] as? String == "cert_verified")
            #expect(Self.fields(body)["cert_presented"] as? Bool == true)
        }
    }

    @Test("allow-unverified lets a request without a certificate through, with the fields")
    func allowUnverified() async throws {
        try await Gateway.with({ $0.mtlsRule = .allowUnverified }) { gateway in
            let (status, body) = try await gateway.call(as: nil)
            #expect(status == 200)
            #expect(Self.fields(body)["cert_presented"] as? Bool == false)
        }
    }

    @Test("the upstream gets the managed transform's headers and RFC 9440 Client-Cert, never the client's own")
    func upstreamHeaders() async throws {
        let router = Router()
        router.get("**") { request, _ -> Response in
            var echoed: [String: [String]] = [:]
            for field in request.headers { echoed[field.name.canonicalName.lowercased(), default: []].append(field.value) }
            let data = try JSONSerialization.data(withJSONObject: ["tls_client_auth": [:], "headers": echoed])
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var quiet = Logger(label: "origin")
        quiet.logLevel = .critical
        let origin = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                 onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: quiet)
        let originTask = Task { try? await origin.run() }
        var iterator = ports.makeAsyncIterator()
        let originPort = try #require(await iterator.next())
        defer { originTask.cancel() }

        try await Gateway.with({ $0.mtlsUpstream = "http://127.0.0.1:\(originPort)" }) { gateway in
            let (identity, _) = try await gateway.issue(zone: EmulatorHarness.newZone(), commonName: "real.example.com")
            let spoofed = [("cf-cert-verified", "true"), ("cf-cert-subject-dn", "CN=admin"), ("Client-Cert", ":AAAA:"),
                           ("Client-Cert-Chain", ":AAAA:"), ("CF-Cert-Revoked", "false"), ("x-kept", "yes")]
            let (status, body) = try await gateway.call("/origin/path", as: identity, headers: spoofed)
            #expect(status == 200)
            let headers = try #require(body["headers"] as? [String: [String]])
            #expect(headers["cf-cert-verified"] == ["true"])
            #expect(headers["cf-cert-presented"] == ["true"])
            #expect(headers["cf-cert-revoked"] == ["false"])
            #expect(headers["cf-cert-subject-dn"] == ["CN=real.example.com,O=Example Inc"])
            let pem = identity.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            #expect(headers["client-cert"] == [":\(pem):"])
            #expect(headers["client-cert-chain"] == nil)
            #expect(headers["x-kept"] == ["yes"])
            #expect(headers["cf-cert-fingerprint-sha256"]?.first?.count == 64)
        }
    }

    @Test("a status change made before a restart from --state is in force after it")
    func stateRestart() async throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.json").path
        let zone = EmulatorHarness.newZone()
        let identity = try await Gateway.with({ $0.statePath = state; $0.transitionDelay = .zero }) { gateway in
            let (identity, id) = try await gateway.issue(zone: zone)
            #expect(try await gateway.call(as: identity).0 == 200)
            _ = try await gateway.emulator.send(.DELETE, EmulatorHarness.certificatesPath(zone, id))
            return identity
        }
        try await Gateway.with({ $0.statePath = state }) { gateway in
            let (status, body) = try await gateway.call(as: identity)
            #expect(status == 403)
            #expect(body["failed_condition"] as? String == "cert_revoked")
        }
    }
}
