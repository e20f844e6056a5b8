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
        abstract: "Issue replacements for certificates: a new key, the same subject, the same validity.",
        discussion: """
            One certificate: renew ID --key-out FILE [--cert-out FILE]. Reads the certificate, generates a new key \
            (written 0600 to --key-out) and a CSR with its subject, and has a new certificate issued for as many \
            days as the old one was. Output paths are checked before anything is sent, as for create, and the new \
            certificate is never lost. --revoke-old then revokes the old one, only once the new one is saved; if \
            that revoke fails, the command says so and exits 11. --p12-out FILE also writes the new certificate, \
            its new key and --chain as a PKCS#12 device bundle, as create does (the old one is revoked only once \
            the .p12 is written too).

            Every certificate that is due: renew --due 30d --out-dir DIR renews each certificate of the zone \
            (--status, default active; --cn GLOB) that expires within 30 days, expired ones included, and was not \
            renewed by an earlier run. DIR (created 0700 if missing) gets NEW_ID.pem and NEW_ID.key (0600) per \
            renewal, and remembers it in OLD_ID.renewed (JSON), so later runs skip it; OLD_ID.pending.key and \
            .pending.csr are a renewal under way. One run uses DIR at a time (a second is refused, exit 14); an \
            existing DIR must be the user's own and writable by nobody else. --deploy-hook CMD runs \
            `/bin/sh -c CMD` once per renewed certificate (output to standard error, at most --hook-timeout, \
            every signal at its default action) with CFCERTS_CERT_FILE, CFCERTS_KEY_FILE, CFCERTS_NEW_ID, \
            CFCERTS_OLD_ID, CFCERTS_COMMON_NAME, CFCERTS_EXPIRES_ON, CFCERTS_ZONE_ID and CFCERTS_OUT_DIR set and \
            the CLOUDFLARE_* credential variables removed (a hook of the same user can still read cfcerts's own \
            environment, and a token file: CLOUDFLARE_API_TOKEN_FILE keeps the token out of every environment, \
            only a hook run as another user is kept from it); a hook that fails is run again by the next run. \
            SIGINT or SIGTERM while a hook runs is passed on to the hook, which is waited for (a second one \
            kills it); the renewal is left for the next run (exit 130). --revoke-old revokes an old certificate \
            only after its hook succeeded. The certificates are issued --concurrency at a time with a journal (--journal, default \
            DIR/.renew-ZONE.journal), so a run killed at any moment and started again renews nothing twice. \
            --dry-run lists what would be renewed and writes nothing. --metrics-file FILE then writes the zone's \
            expiry metrics (see list --output prometheus) for node_exporter's textfile collector.

            Exit status with --due: 0 when every due certificate is renewed, or none was due (standard error says \
            which); 12 when some were not renewed; else 13 when a deploy hook failed; else 11 when an old \
            certificate could not be revoked; 14 when another run holds DIR; 130 when interrupted.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The id of the certificate to replace (or --due).")
    var id: String?

    @Option(help: ArgumentHelp("Where to write the new private key (one certificate).", valueName: "file"))
    var keyOut: String?

    @Option(help: ArgumentHelp("Where to write the new certificate, PEM (one certificate).", valueName: "file"))
    var certOut: String?

    @Option(help: "p256 or rsa2048.")
    var keyType: CertificateSigningRequests.KeyType = .p256

    @Flag(help: "Revoke the old certificate once the new one is issued (with --due: once its deploy hook succeeded).")
    var revokeOld = false

    @Flag(help: "Overwrite --key-out, --cert-out and --p12-out if they exist.")
    var force = false

    @OptionGroup(title: "Device bundle (PKCS#12), one certificate") var p12: PKCS12Options

    @OptionGroup(title: "Every due certificate") var due: DueOptions

    @Option(help: "table, json or jsonl: one certificate's object (its renewal with --due).")
    var output: OutputFormat = .table

    func validate() throws {
        if due.due != nil {
            guard id == nil, keyOut == nil, certOut == nil, !force, p12.p12Out == nil else {
                throw ValidationError("--due renews every due certificate into --out-dir; an id, --key-out, --cert-out, --p12-out and --force are for one")
            }
            guard due.outDir != nil else { throw ValidationError("--due needs --out-dir DIR for the new keys and certificates") }
            return
        }
        guard !due.isGiven else { throw ValidationError("--out-dir, --deploy-hook, --status, --cn, --dry-run, --journal and --concurrency go with --due") }
        guard id != nil else { throw ValidationError("pass the id of the certificate to renew, or --due DURATION") }
        guard keyOut != nil else { throw ValidationError("renewing one certificate needs --key-out FILE for its new key") }
    }

    func run() async throws {
        let zoneID = try connection.zoneID()
        if let window = due.due, let outDir = due.outDir {
            let filter = CertificateFilter(status: due.status.map(ClientCertificateStatus.init(rawValue:)) ?? .active,
                                           commonName: due.cn, expiringWithin: window)
            try await DueRenewal(connection: connection, zoneID: zoneID, filter: filter, folder: RenewalFolder(path: outDir),
                                 keyType: keyType, hook: due.deployHook.map { DeployHook(command: $0, timeout: due.hookTimeout) },
                                 revokeOld: revokeOld, dryRun: due.dryRun,
                                 options: BulkOptions(concurrency: due.concurrency,
                                                      journalPath: due.journal ?? outDir + "/.renew-\(zoneID).journal"),
                                 metricsFile: due.metricsFile, output: output).run()
            return
        }
        guard let id, let keyOut else { throw CLIFailure("pass the id of the certificate to renew and --key-out") }
        try OutputFile.checkWritable([keyOut, certOut, p12.p12Out], force: force)
        try OutputFile.checkNotInputs([keyOut, certOut, p12.p12Out], inputs: [p12.chain, p12.p12PasswordFile])
        let bundle = try DeviceBundle.prepare(p12, privateKeyPEM: nil, force: force)
        try await connection.makeClient().using { client in
            let certificates = client.clientCertificates
            let old = try await certificates.get(zoneID: zoneID, id: id)
            let generated = try CertificateSigningRequests.generate(subject: Self.subject(of: old), keyType: keyType)
            try OutputFile.write(generated.privateKeyPEM, to: keyOut, secret: true, force: force)
            let renewed = try await certificates.create(zoneID: zoneID, csr: generated.csrPEM,
                                                        validityDays: Self.validityDays(of: old))
            try IssuedCertificate.deliver(renewed, certOut: certOut,
                                          bundle: bundle.map { ($0, generated.privateKeyPEM) }, force: force,
                                          output: output)
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

/// `renew --due`'s options: which certificates, where their replacements go, what runs after each.
struct DueOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Renew every certificate expiring within this time, e.g. 30d (expired ones too).",
                               valueName: "duration"))
    var due: CLIDuration?

    @Option(help: ArgumentHelp("With --due: the folder for the new keys and certificates, and the renewals' records.",
                               valueName: "dir"))
    var outDir: String?

    @Option(help: ArgumentHelp("With --due: only certificates in this status (default: active).", valueName: "status"))
    var status: String?

    @Option(help: ArgumentHelp("With --due: only common names matching this shell pattern, e.g. 'device-*.example.com'.",
                               valueName: "glob"))
    var cn: String?

    @Option(help: ArgumentHelp("With --due: run this shell command once per renewed certificate (see CFCERTS_* above).",
                               valueName: "command"))
    var deployHook: String?

    @Option(help: ArgumentHelp("With --deploy-hook: end a hook still running after this long, e.g. 2m (default: 10m).",
                               valueName: "duration"))
    var hookTimeout: CLIDuration = CLIDuration(argument: "10m")!

    @Option(help: ArgumentHelp("With --due: after the run, write the zone's expiry metrics here (as list --output prometheus), replacing the file whole.",
                               valueName: "file"))
    var metricsFile: String?

    @Flag(help: "With --due: print what would be renewed; send and write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("With --due: the journal that makes a killed run resumable (default: DIR/.renew-ZONE.journal).",
                               valueName: "file"))
    var journal: String?

    @Option(help: "With --due: certificates issued at once, 1 to 64.")
    var concurrency = 8

    /// Whether an option of --due's was given (they mean nothing without it).
    var isGiven: Bool {
        outDir != nil || status != nil || cn != nil || deployHook != nil || dryRun || journal != nil || concurrency != 8
            || metricsFile != nil
    }

    func validate() throws {
        if let status, !ClientCertificateStatus.documented.map(\.rawValue).contains(status) {
            throw ValidationError("--status must be one of: active, pending_revocation, revoked, pending_reactivation")
        }
        guard BulkOptions.concurrencyRange.contains(concurrency) else {
            throw ValidationError("--concurrency must be from 1 to \(BulkOptions.concurrencyRange.upperBound)")
        }
    }
}
