import ArgumentParser
import CFCerts

/// `cfcerts import -f fleet.yaml NAME --id ID | --cn CN [--key FILE]`: adopts an existing certificate.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Adopt an existing certificate of the zone as a manifest entry's.",
        discussion: """
            The entry NAME must be in the manifest and have no certificate in the state yet. The certificate is \
            named by --id, or by --cn when exactly one active certificate of the entry's zone has that common name \
            (several are refused, listing their ids: adopt one by id). One another entry holds, or one not active, \
            is refused; nothing is ever adopted silently. With --key (the certificate's private key, checked \
            against it) cfcerts can write its key output; without, an entry whose key cfcerts makes is planned \
            for replacement.
            """)

    @OptionGroup var fleet: FleetOptions
    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The manifest entry that adopts the certificate.")
    var name: String

    @Option(help: ArgumentHelp("The certificate's id.", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("The common name of the one active certificate to adopt.", valueName: "common-name"))
    var cn: String?

    @Option(help: ArgumentHelp("The certificate's private key (PEM), kept in the state (0600).", valueName: "file"))
    var key: String?

    func validate() throws {
        guard (id == nil) != (cn == nil) else { throw ValidationError("name the certificate with --id or --cn (one of them)") }
    }

    func run() async throws {
        let manifest = try fleet.manifest()
        let keyPEM = try key.map(OutputFile.read)
        let adoption: FleetAdoption = id.map(FleetAdoption.id) ?? .commonName(cn ?? "")
        let certificate = try await connection.makeClient().using { client in
            try await client.fleet.adopt(adoption, as: name, manifest: manifest, stateFolder: fleet.stateFolder,
                                         privateKeyPEM: keyPEM)
        }
        print("\(name): adopted \(certificate.id) (\(certificate.commonName), expires \(certificate.expiresOn)); `cfcerts plan` shows what apply would do with it")
    }
}
