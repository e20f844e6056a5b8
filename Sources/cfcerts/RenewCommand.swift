import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct RenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Issue a replacement for a certificate: a new key, the same subject, the same validity.",
        discussion: """
            Reads the certificate, generates a new key (written 0600 to --key-out) and a CSR with its subject, and has
            a new certificate issued for as many days as the old one was. Output paths are checked before anything
            is sent, as for create, and the new certificate is never lost. --revoke-old then revokes the old one,
            only once the new one is saved; if that revoke fails, the command says so and exits 11.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The id of the certificate to replace.")
    var id: String

    @Option(help: ArgumentHelp("Where to write the new private key.", valueName: "file"))
    var keyOut: String

    @Option(help: ArgumentHelp("Where to write the new certificate, PEM.", valueName: "file"))
    var certOut: String?

    @Option(help: "p256 or rsa2048.")
    var keyType: CertificateSigningRequests.KeyType = .p256

    @Flag(help: "Revoke the old certificate once the new one is issued.")
    var revokeOld = false

    @Flag(help: "Overwrite --key-out and --cert-out if they exist.")
    var force = false

    @Option(help: "table (name: value lines) or json / jsonl (the API's certificate object).")
    var output: OutputFormat = .table

    func run() async throws {
        let zoneID = try connection.zoneID()
        try OutputFile.checkWritable([keyOut, certOut], force: force)
        try await connection.makeClient().using { client in
            let certificates = client.clientCertificates
            let old = try await certificates.get(zoneID: zoneID, id: id)
            let generated = try CertificateSigningRequests.generate(subject: Self.subject(of: old), keyType: keyType)
            try OutputFile.write(generated.privateKeyPEM, to: keyOut, secret: true, force: force)
            let renewed = try await certificates.create(zoneID: zoneID, csr: generated.csrPEM,
                                                        validityDays: Self.validityDays(of: old))
            try IssuedCertificate.deliver(renewed, certOut: certOut, force: force, output: output)
            guard revokeOld else { return }
            guard old.status == .active else {
                StandardError.write("cfcerts: old certificate \(old.id) is already \(old.status); not revoked again\n")
                return
            }
            do {
                let status = try await certificates.revoke(zoneID: zoneID, id: old.id).status
                StandardError.write("cfcerts: old certificate \(old.id) is \(status)\n")
            } catch let error as CFCertsError {
                throw CLIFailure(
                    "the new certificate \(renewed.id) is saved, but revoking the old one failed: \(ErrorReport.line(error)); "
                        + "revoke it with `cfcerts revoke \(old.id)`", status: .revokeOldFailed)
            }
        }
    }

    static func subject(of certificate: ClientCertificate) -> CSRSubject {
        func field(_ value: String) -> String? { value.isEmpty ? nil : value }
        return CSRSubject(commonName: certificate.commonName, organization: field(certificate.organization),
                          organizationalUnit: field(certificate.organizationalUnit), country: field(certificate.country),
                          state: field(certificate.state), locality: field(certificate.location))
    }

    /// The old certificate's validity_days, else the days between its issue and expiry dates, within 1...3650.
    static func validityDays(of certificate: ClientCertificate) -> Int {
        if let days = certificate.validityDays, (1...3650).contains(days) { return days }
        if let issued = certificate.issuedOnDate, let expires = certificate.expiresOnDate {
            let days = (expires.timeIntervalSince(issued) / 86_400).rounded()
            if days.isFinite, days >= 1, days <= 3650 { return Int(days) }
        }
        return 3650
    }
}
