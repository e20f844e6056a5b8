import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `cfcerts create --csr-dir DIR --cert-dir OUT`: one certificate per `DIR/NAME.csr`, written to `OUT/NAME.pem`.
struct BulkCreate {
    let connection: ConnectionOptions
    let zoneID: String
    let csrDir: String
    let certDir: String
    let validityDays: Int
    let force: Bool
    let bulk: BulkFlags
    let output: OutputFormat

    func run() async throws {
        let names = try csrNames()
        let items = try names.map { name in
            BulkItem.csr(try OutputFile.read(csrDir + "/" + name + ".csr"), validityDays: validityDays, name: name)
        }
        // A PEM already there is refused before anything is issued, unless --force, or --journal (a run started
        // again writes the PEMs of what it finds done).
        try OutputFile.checkWritable(names.map { pemPath($0) }, force: force || bulk.journal != nil)
        if bulk.dryRun {
            for name in names { print("would be issued: \(name).csr -> \(pemPath(name))".terminalSafe) }
            StandardError.writeAfterOutput("cfcerts: dry run: \(names.count) certificate(s) would be issued; nothing was sent\n")
            return
        }
        var unsaved = 0
        let summary: BulkSummary? = try await connection.makeClient().using { client in
            let certificates = client.clientCertificates
            let run = try certificates.bulk(.create, zoneID: zoneID, items: items, options: bulk.options)
            let report = BulkReport(format: output, verb: "issued", total: items.count)
            for await outcome in run {
                var note: String?
                if outcome.disposition != .failed, let name = outcome.item.name {
                    do {
                        note = try await save(outcome, name: name, certificates: certificates)
                    } catch {
                        unsaved += 1
                        note = "NOT SAVED: \((error as? CLIFailure)?.message ?? "\(error)")"
                    }
                }
                try report.add(outcome, commonName: nil, note: output == .table ? note : nil,
                               rateLimitedSoFar: client.rateLimitedAnswers)
            }
            if let summary = run.summary { try report.finish(summary) }
            return run.summary
        }
        let journalFailure = summary.flatMap { summary in summary.journalError.map { BulkReport.journalFailure($0, summary) } }
        if unsaved > 0 {
            if let journalFailure { StandardError.writeAfterOutput("cfcerts: \(journalFailure.message)\n") }
            throw CLIFailure("\(unsaved) issued certificate(s) could not be written (their PEMs are on standard error above)", status: .file)
        }
        if let journalFailure { throw journalFailure }
        if let summary, summary.failed > 0 {
            throw CLIFailure("\(summary.failed) of \(summary.total) certificates were not issued", status: .itemsFailed)
        }
    }

    /// Writes the item's PEM: an issued certificate always; one found done by an earlier run only when its PEM is
    /// missing (fetched by id if this run did not see it). A failure puts the PEM on standard error.
    private func save(_ outcome: BulkOutcome, name: String, certificates: ClientCertificates) async throws -> String? {
        let path = pemPath(name)
        if outcome.disposition == .alreadyDone, access(path, F_OK) == 0 { return nil }
        var certificate = outcome.certificate
        if certificate == nil, let id = outcome.certificateID {
            certificate = try await certificates.get(zoneID: zoneID, id: id)
        }
        guard let certificate else { return nil }
        do {
            if !(force || bulk.journal != nil || outcome.disposition == .alreadyDone), access(path, F_OK) == 0 {
                throw CLIFailure("\(path) exists; pass --force to overwrite it", status: .file)
            }
            try OutputFile.writeWhole(certificate.certificate + "\n", to: path, secret: false)
        } catch {
            IssuedCertificate.rescue(certificate, because: error)
            throw error
        }
        return "-> \(path)"
    }

    private func pemPath(_ name: String) -> String { certDir + "/" + name + ".pem" }

    /// The names of `*.csr` files in the folder, sorted.
    private func csrNames() throws -> [String] {
        var info = stat()
        guard stat(csrDir, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw CLIFailure("--csr-dir \(csrDir) is not a folder", status: .file)
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: csrDir) else {
            throw CLIFailure("cannot read the folder \(csrDir)", status: .file)
        }
        let names = entries.filter { $0.hasSuffix(".csr") && $0.count > 4 }.map { String($0.dropLast(4)) }.sorted()
        guard !names.isEmpty else { throw CLIFailure("no *.csr file in \(csrDir)", status: .file) }
        return names
    }
}
