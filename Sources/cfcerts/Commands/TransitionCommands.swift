import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What revoke and reactivate share: which certificates (ids, or --all with filters), --wait for one, the bulk
/// flags for many, and the output.
struct TransitionOptions: ParsableArguments {
    @Argument(help: "The certificates' ids (or --all).")
    var ids: [String] = []

    @OptionGroup(title: "Selecting certificates") var selection: SelectionOptions

    @Flag(help: "Poll until the transition completes (revoked / active); one certificate only.")
    var wait = false

    @Option(help: ArgumentHelp("With --wait, the whole command (the request and every poll) ends within this, e.g. 90s, 10m (default: 5m).",
                               valueName: "duration"))
    var timeout: CLIDuration?

    @OptionGroup(title: "Many certificates") var bulk: BulkFlags

    @Option(help: "table (name: value lines for one certificate; a line per certificate for many), json (the certificate; for many, {\"results\": [...], \"summary\": {...}}) or jsonl (for many, one result a line).")
    var output: OutputFormat = .table

    func validate() throws {
        if ids.isEmpty, !selection.all { throw ValidationError("pass the certificates' ids, or --all (with filters)") }
        if !ids.isEmpty, selection.all { throw ValidationError("pass ids or --all, not both") }
        if timeout != nil, !wait { throw ValidationError("--timeout bounds --wait; pass --wait too, or --call-timeout for the request") }
        if wait, isBulk { throw ValidationError("--wait waits for one certificate; it cannot go with several ids, --all, --dry-run or --journal") }
    }

    /// Several certificates, a selection, a dry run or a journal: the bulk path.
    private var isBulk: Bool { ids.count > 1 || selection.all || bulk.dryRun || bulk.journal != nil }

    /// Starts the transition of one certificate, waits for `settled` when asked, and writes the certificate as it
    /// last was; or, for many, runs the bulk operation.
    func run(connection: ConnectionOptions, operation: BulkOperation, from source: ClientCertificateStatus,
             settled: ClientCertificateStatus,
             start: @escaping @Sendable (ClientCertificates, String, String) async throws -> ClientCertificate) async throws {
        let zoneID = try connection.zoneID()
        if isBulk {
            try await runBulk(connection: connection, zoneID: zoneID, operation: operation, from: source)
            return
        }
        let id = ids[0]
        let certificate = try await connection.makeClient().using { client in
            let certificates = client.clientCertificates
            guard wait else { return try await start(certificates, zoneID, id) }
            let limit = (timeout ?? Self.defaultTimeout)
            return try await Self.within(limit, what: "certificate \(id) did not reach \(settled)") {
                let started = try await start(certificates, zoneID, id)
                return try await Self.poll(until: settled, certificates: certificates, zoneID: zoneID, from: started)
            }
        }
        try CertificateWriter(format: output).write(certificate)
    }

    private func runBulk(connection: ConnectionOptions, zoneID: String, operation: BulkOperation,
                         from source: ClientCertificateStatus) async throws {
        let verb = operation == .revoke ? "revoked" : "reactivated"
        try await connection.makeClient().using { client in
            let certificates = client.clientCertificates
            var names: [String: String] = [:]
            var seen: [String: ClientCertificateStatus] = [:]
            let targets: [String]
            if selection.all {
                let selected = try await selection.filter(defaultStatus: source).select(from: certificates, zoneID: zoneID)
                for certificate in selected {
                    names[certificate.id] = certificate.commonName
                    seen[certificate.id] = certificate.status
                }
                targets = selected.map(\.id)
            } else {
                targets = ids
            }
            if bulk.dryRun {
                for id in targets { print("would be \(verb): \(id)\(names[id].map { "  " + $0.terminalSafe } ?? "")") }
                StandardError.writeAfterOutput("cfcerts: dry run: \(targets.count) certificate(s) would be \(verb); nothing was sent\n")
                return
            }
            try bulk.confirm("\(operation.rawValue.capitalized) \(targets.count) certificates of zone \(zoneID)?", count: targets.count)
            let options = selection.all
                ? bulk.options(selection: "\(operation.rawValue) --all: " + selection.filter(defaultStatus: source).summary)
                : bulk.options
            let run = try certificates.bulk(operation, zoneID: zoneID, items: targets.map { .certificate($0, seenStatus: seen[$0]) },
                                            options: options)
            let report = BulkReport(format: output, verb: verb, total: targets.count)
            for await outcome in run {
                try report.add(outcome, commonName: outcome.certificateID.flatMap { names[$0] },
                               rateLimitedSoFar: client.rateLimitedAnswers)
            }
            guard let summary = run.summary else { return }
            try report.finish(summary)
            if let error = summary.journalError { throw BulkReport.journalFailure(error, summary) }
            if summary.failed > 0 { throw CLIFailure("\(summary.failed) of \(summary.total) certificates were not \(verb)", status: .itemsFailed) }
        }
    }

    private static let defaultTimeout = CLIDuration(argument: "5m")!
    private static let pollInterval: Duration = .milliseconds(500)

    private static func poll(until settled: ClientCertificateStatus, certificates: ClientCertificates, zoneID: String,
                             from started: ClientCertificate) async throws -> ClientCertificate {
        var current = started
        while current.status != settled {
            try await Task.sleep(for: pollInterval)
            current = try await certificates.get(zoneID: zoneID, id: started.id)
        }
        return current
    }

    /// `body`, ended (cancelled) when `limit` runs out: a call in flight is cut short too, so the command never
    /// outlasts --timeout by more than the moment cancelling takes.
    private static func within<T: Sendable>(_ limit: CLIDuration, what: String,
                                            _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit.duration)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw CLIFailure("\(what) within \(limit.seconds) s (--timeout)", status: .timeout)
            }
            return value
        }
    }
}

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke active client certificates: one, several, or every one that matches (--all).",
        discussion: """
            A certificate is pending_revocation at once and revoked when Cloudflare is done; --wait waits for that \
            (one certificate). Several ids, or --all with --status (default active), --cn, --expiring-within and \
            --issued-before, revoke many, --concurrency at a time, each line printed as it completes; --dry-run \
            prints what would be revoked and sends nothing; more than one needs --yes when standard input is not a \
            terminal. With --journal FILE a run killed at any moment and started again with the same arguments \
            finishes the rest and revokes nothing twice. Calls pace themselves to the credential's budget (--pacing). \
            Exit status 12 when some certificates were not revoked (the others were).
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transition: TransitionOptions

    func run() async throws {
        try await transition.run(connection: connection, operation: .revoke, from: .active, settled: .revoked) { certificates, zoneID, id in
            try await certificates.revoke(zoneID: zoneID, id: id)
        }
    }
}

struct ReactivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reactivate",
        abstract: "Reactivate certificates that are pending revocation: one, several, or every one that matches (--all).",
        discussion: """
            A certificate is pending_reactivation at once and active when Cloudflare is done; --wait waits for that \
            (one certificate). Several ids, or --all with filters (--status defaults to pending_revocation), act on \
            many, as revoke does (--dry-run, --yes, --concurrency, --journal). Exit status 12 when some \
            certificates were not reactivated (the others were).
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transition: TransitionOptions

    func run() async throws {
        try await transition.run(connection: connection, operation: .reactivate, from: .pendingRevocation, settled: .active) { certificates, zoneID, id in
            try await certificates.reactivate(zoneID: zoneID, id: id)
        }
    }
}
