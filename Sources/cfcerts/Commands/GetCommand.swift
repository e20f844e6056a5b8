import ArgumentParser
import CFCerts

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Show one client certificate.",
        discussion: """
            --p12-out FILE writes the certificate as a PKCS#12 device bundle (0600) with its private key, which the \
            API never holds: pass it as --key FILE (the key made by create or renew --key-out). The password comes \
            from --p12-password-file or CFCERTS_P12_PASSWORD; --chain adds CA certificates. The key, password and \
            chain are checked before the request, the key against the certificate once it is read (exit 2 when it \
            is not its key).
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The certificate's id.")
    var id: String

    @Option(help: "table (name: value lines) or json / jsonl (the API's certificate object).")
    var output: OutputFormat = .table

    @Option(help: ArgumentHelp("Also write the certificate's PEM to FILE (not overwritten without --force).", valueName: "file"))
    var certOut: String?

    @Option(help: ArgumentHelp("With --p12-out: the certificate's private key (PEM).", valueName: "file"))
    var key: String?

    @OptionGroup(title: "Device bundle (PKCS#12)") var p12: PKCS12Options

    @Flag(help: "Overwrite --cert-out and --p12-out if they exist.")
    var force = false

    func validate() throws {
        if (key == nil) != (p12.p12Out == nil) {
            throw ValidationError(key == nil
                ? "--p12-out needs the certificate's private key: --key FILE (the API does not hold it)"
                : "--key is the certificate's private key, for --p12-out")
        }
    }

    func run() async throws {
        let zoneID = try connection.zoneID()
        try OutputFile.checkWritable([certOut, p12.p12Out], force: force)
        try OutputFile.checkNotInputs([certOut, p12.p12Out], inputs: [key, p12.chain, p12.p12PasswordFile])
        let keyPEM = try key.map { try OutputFile.read($0) }
        let bundle = try DeviceBundle.prepare(p12, privateKeyPEM: keyPEM, force: force)
        let certificate = try await connection.makeClient().using { client in
            try await client.clientCertificates.get(zoneID: zoneID, id: id)
        }
        if let certOut { try OutputFile.write(certificate.certificate + "\n", to: certOut, secret: false, force: force) }
        if let bundle, let keyPEM { try bundle.write(certificate, privateKeyPEM: keyPEM) }
        try CertificateWriter(format: output).write(certificate)
    }
}
