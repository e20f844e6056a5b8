import ArgumentParser
import CFCerts

struct CSRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csr",
        abstract: "Write a new private key and a certificate signing request, without calling the API.",
        discussion: "The key is written 0600. Send the CSR later with `cfcerts create --csr FILE`.")

    @OptionGroup var subject: SubjectOptions

    @Option(help: ArgumentHelp("Where to write the private key.", valueName: "file"))
    var keyOut: String

    @Option(help: ArgumentHelp("Where to write the CSR (default: standard output).", valueName: "file"))
    var csrOut: String?

    @Flag(help: "Overwrite --key-out and --csr-out if they exist.")
    var force = false

    func validate() throws {
        guard subject.commonName != nil else { throw ValidationError("--cn is required") }
    }

    func run() async throws {
        guard let wanted = subject.subject else { throw CLIFailure("--cn is required") }
        try OutputFile.checkWritable([keyOut, csrOut], force: force)
        let generated = try CertificateSigningRequests.generate(subject: wanted, keyType: subject.keyType ?? .p256)
        try OutputFile.write(generated.privateKeyPEM, to: keyOut, secret: true, force: force)
        if let csrOut {
            try OutputFile.write(generated.csrPEM, to: csrOut, secret: false, force: force)
        } else {
            print(generated.csrPEM, terminator: generated.csrPEM.hasSuffix("\n") ? "" : "\n")
        }
    }
}
