// Manages a zone's client certificates with the cfcerts Swift API: generate a key and CSR, have Cloudflare's CA
// issue a certificate, list the zone, revoke and reactivate.
//
// Usage: CLOUDFLARE_API_TOKEN=... [CLOUDFLARE_BASE_URL=...] cfcerts-swift-example ZONE_ID [OUTPUT_DIR]
// With OUTPUT_DIR, the private key and certificate are written there (key.pem, certificate.pem).
import CFCerts
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: \(arguments[0]) ZONE_ID [OUTPUT_DIR]\n".utf8))
    exit(2)
}
let zoneID = arguments[1]
let outputDirectory = arguments.count > 2 ? URL(fileURLWithPath: arguments[2]) : nil

let client = try CFCertsClient(configuration: .fromEnvironment())
do {
    let certificates = client.clientCertificates

    let subject = CSRSubject(commonName: "demo.example.com", organization: "Example Inc", country: "US",
                             state: "CA", locality: "San Francisco")
    let generated = try CertificateSigningRequests.generate(subject: subject, keyType: .p256)
    let created = try await certificates.create(zoneID: zoneID, csr: generated.csrPEM, validityDays: 365)
    print("created     \(created.id)  CN=\(created.commonName)  status=\(created.status)")
    print("            serial \(created.serialNumber), expires \(created.expiresOn), signed \(created.signature)")
    if let outputDirectory {
        try generated.privateKeyPEM.write(to: outputDirectory.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        try (created.certificate + "\n").write(to: outputDirectory.appendingPathComponent("certificate.pem"), atomically: true, encoding: .utf8)
    }

    print("listing     every certificate of the zone:")
    var count = 0
    for try await certificate in try certificates.list(zoneID: zoneID) {
        count += 1
        print("            \(certificate.id)  \(certificate.status.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0))  \(certificate.commonName)")
    }
    print("            \(count) certificate(s)")

    let revoking = try await certificates.revoke(zoneID: zoneID, id: created.id)
    print("revoked     status=\(revoking.status)")
    let reactivating = try await certificates.reactivate(zoneID: zoneID, id: created.id)
    print("reactivated status=\(reactivating.status)")
    try await client.shutdown()
} catch let error as CFCertsError {
    try? await client.shutdown()
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
