import ArgumentParser
import CFCerts

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Have Cloudflare's CA issue client certificates.",
        discussion: """
            From a CSR (--csr FILE), or from a key and CSR generated here (--cn and the other subject options, \
            --key-type, --key-out for the private key, written 0600). Every output path is checked before anything \
            is sent: its folder exists and is writable, the key and certificate paths differ, and nothing is there \
            unless --force. Once the certificate is issued it is never lost: should writing --cert-out (or the \
            output) fail, its id and PEM go to standard error before the command fails. Without --cert-out the \
            table output ends with the certificate's PEM.

            A device bundle: --p12-out FILE also writes the certificate, its key and the CA certificates of --chain \
            as one PKCS#12 file (0600), encrypted with the password in --p12-password-file or CFCERTS_P12_PASSWORD \
            (--p12-profile modern, or legacy for older Android, iOS and Windows keystores; its friendly name is the \
            common name). With --csr the key is the CSR's: pass it as --key FILE (checked against the CSR before \
            anything is sent). The password, key and chain are read and checked before the request; should the \
            .p12 not be written afterwards, the certificate's id and PEM go to standard error (exit 10) and \
            `cfcerts get ID --key KEY --p12-out FILE` makes it again.

            Many at once: --csr-dir DIR --cert-dir OUT issues one certificate per DIR/NAME.csr and writes it to \
            OUT/NAME.pem, --concurrency at a time, a line per certificate as it completes (--output jsonl: one JSON \
            object a line). With --journal FILE (the record of this one run) a run killed at any moment, or with \
            certificates not issued, and started again with the same arguments issues nothing twice: a certificate \
            whose answer was lost is found by its CSR (the one not revoked, issued after the request was sent; \
            when two fit, the item fails and names them), and its PEM written. A journal of a finished run is \
            refused (pass a new one); one another run is using, exit 14. --dry-run lists what would be issued. Exit status 12 when some were not issued, 10 when one \
            was issued but its PEM could not be written (its PEM then goes to standard error).
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("A PEM certificate signing request to send.", valueName: "file"))
    var csr: String?

    @OptionGroup(title: "Generating the key and CSR") var subject: SubjectOptions

    @Option(help: ArgumentHelp("Where to write the generated private key (required when generating).", valueName: "file"))
    var keyOut: String?

    @Option(help: ArgumentHelp("Where to write the issued certificate, PEM.", valueName: "file"))
    var certOut: String?

    @Option(help: ArgumentHelp("With --csr and --p12-out: the CSR's private key (PEM), for the .p12.", valueName: "file"))
    var key: String?

    @OptionGroup(title: "Device bundle (PKCS#12)") var p12: PKCS12Options

    @Option(help: "Days the certificate is valid, 1 to 3650.")
    var validityDays = 3650

    @Flag(help: "Overwrite --key-out and --cert-out (or the PEMs in --cert-dir) if they exist.")
    var force = false

    @Option(help: ArgumentHelp("Issue one certificate per *.csr in this folder (with --cert-dir).", valueName: "dir"))
    var csrDir: String?

    @Option(help: ArgumentHelp("Where --csr-dir's certificates go, as NAME.pem for NAME.csr.", valueName: "dir"))
    var certDir: String?

    @OptionGroup(title: "Many certificates") var bulk: BulkFlags

    @Option(help: "table (name: value lines) or json / jsonl (the API's certificate object).")
    var output: OutputFormat = .table

    func validate() throws {
        guard (1...3650).contains(validityDays) else { throw ValidationError("--validity-days must be from 1 to 3650") }
        if csrDir != nil || certDir != nil {
            guard csrDir != nil, certDir != nil else { throw ValidationError("--csr-dir and --cert-dir go together") }
            guard csr == nil, !subject.givesSubjectField, subject.keyType == nil, keyOut == nil, certOut == nil,
                  key == nil, p12.p12Out == nil else {
                throw ValidationError("--csr-dir issues from CSR files: --csr, --cert-out, --key-out, --key, --p12-out and the subject options are for one certificate")
            }
            return
        }
        if bulk.dryRun || bulk.journal != nil { throw ValidationError("--dry-run and --journal go with --csr-dir") }
        if csr != nil, subject.givesSubjectField || subject.keyType != nil || keyOut != nil {
            throw ValidationError("--csr sends an existing CSR; the subject options, --key-type and --key-out are for generating one")
        }
        if key != nil, csr == nil || p12.p12Out == nil {
            throw ValidationError("--key is the private key of --csr, for --p12-out")
        }
        if csr != nil, p12.p12Out != nil, key == nil {
            throw ValidationError("--p12-out with --csr needs the CSR's private key: --key FILE")
        }
        if csr == nil {
            guard subject.commonName != nil else { throw ValidationError("pass --csr FILE, or --cn to generate a key and CSR") }
            guard keyOut != nil else { throw ValidationError("a generated key needs --key-out FILE, or it would be lost") }
        }
        guard (1...3650).contains(validityDays) else { throw ValidationError("--validity-days must be from 1 to 3650") }
    }

    func run() async throws {
        let zoneID = try connection.zoneID()
        if let csrDir, let certDir {
            try await BulkCreate(connection: connection, zoneID: zoneID, csrDir: csrDir, certDir: certDir,
                                 validityDays: validityDays, force: force, bulk: bulk, output: output).run()
            return
        }
        try OutputFile.checkWritable([keyOut, certOut, p12.p12Out], force: force)
        try OutputFile.checkNotInputs([keyOut, certOut, p12.p12Out], inputs: [csr, key, p12.chain, p12.p12PasswordFile])
        let givenKeyPEM = try key.map { try OutputFile.read($0) }
        let bundle = try DeviceBundle.prepare(p12, privateKeyPEM: givenKeyPEM, force: force)
        let csrPEM: String
        let privateKeyPEM: String?
        if let csr {
            csrPEM = try OutputFile.read(csr)
            if bundle != nil, let givenKeyPEM { try PKCS12Bundle.checkKey(givenKeyPEM, matchesCSR: csrPEM) }
            privateKeyPEM = givenKeyPEM
        } else if let wanted = subject.subject, let keyOut {
            let generated = try CertificateSigningRequests.generate(subject: wanted, keyType: subject.keyType ?? .p256)
            try OutputFile.write(generated.privateKeyPEM, to: keyOut, secret: true, force: force)
            csrPEM = generated.csrPEM
            privateKeyPEM = generated.privateKeyPEM
        } else {
            throw CLIFailure("pass --csr FILE, or --cn and --key-out")
        }
        let certificate = try await connection.makeClient().using { client in
            try await client.clientCertificates.create(zoneID: zoneID, csr: csrPEM, validityDays: validityDays)
        }
        try IssuedCertificate.deliver(certificate, certOut: certOut,
                                      bundle: bundle.flatMap { bundle in privateKeyPEM.map { (bundle, $0) } },
                                      force: force, output: output)
    }
}
