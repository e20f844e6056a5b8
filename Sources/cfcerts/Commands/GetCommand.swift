import ArgumentParser
import CFCerts

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Show one client certificate.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The certificate's id.")
    var id: String

    @Option(help: "table (name: value lines) or json / jsonl (the API's certificate object).")
    var output: OutputFormat = .table

    @Option(help: ArgumentHelp("Also write the certificate's PEM to FILE (not overwritten without --force).", valueName: "file"))
    var certOut: String?

    @Flag(help: "Overwrite --cert-out if it exists.")
    var force = false

    func run() async throws {
        let zoneID = try connection.zoneID()
        let certificate = try await connection.makeClient().using { client in
            try await client.clientCertificates.get(zoneID: zoneID, id: id)
        }
        if let certOut { try OutputFile.write(certificate.certificate + "\n", to: certOut, secret: false, force: force) }
        try CertificateWriter(format: output).write(certificate)
    }
}
