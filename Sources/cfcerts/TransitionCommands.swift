import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What revoke and reactivate share: the id, the output, and --wait for the transition to finish.
struct TransitionOptions: ParsableArguments {
    @Argument(help: "The certificate's id.")
    var id: String

    @Flag(help: "Poll until the transition completes (revoked / active).")
    var wait = false

    @Option(help: ArgumentHelp("With --wait, the whole command (the request and every poll) ends within this, e.g. 90s, 10m (default: 5m).",
                               valueName: "duration"))
    var timeout: CLIDuration?

    @Option(help: "table (name: value lines) or json / jsonl (the API's certificate object).")
    var output: OutputFormat = .table

    func validate() throws {
        if timeout != nil, !wait { throw ValidationError("--timeout bounds --wait; pass --wait too, or --call-timeout for the request") }
    }

    /// Starts the transition, waits for `settled` when asked, and writes the certificate as it last was.
    func run(connection: ConnectionOptions, settled: ClientCertificateStatus,
             start: @escaping @Sendable (ClientCertificates, String, String) async throws -> ClientCertificate) async throws {
        let zoneID = try connection.zoneID()
        let id = self.id
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
        abstract: "Revoke an active client certificate.",
        discussion: "The certificate is pending_revocation at once and revoked when Cloudflare is done; --wait waits for that.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transition: TransitionOptions

    func run() async throws {
        try await transition.run(connection: connection, settled: .revoked) { certificates, zoneID, id in
            try await certificates.revoke(zoneID: zoneID, id: id)
        }
    }
}

struct ReactivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reactivate",
        abstract: "Reactivate a certificate that is pending revocation.",
        discussion: "The certificate is pending_reactivation at once and active when Cloudflare is done; --wait waits for that.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transition: TransitionOptions

    func run() async throws {
        try await transition.run(connection: connection, settled: .active) { certificates, zoneID, id in
            try await certificates.reactivate(zoneID: zoneID, id: id)
        }
    }
}
