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

    @Option(help: ArgumentHelp("With --wait, give up after this long, e.g. 90s, 10m (default: 5m).", valueName: "duration"))
    var timeout = CLIDuration(argument: "5m")!

    @Option(help: "table (name: value lines) or json / jsonl (the API's certificate object).")
    var output: OutputFormat = .table

    /// Starts the transition, waits for `settled` when asked, and writes the certificate as it last was.
    func run(connection: ConnectionOptions, settled: ClientCertificateStatus,
             start: (ClientCertificates, String, String) async throws -> ClientCertificate) async throws {
        let zoneID = try connection.zoneID()
        let certificate = try await connection.makeClient().using { client in
            let certificates = client.clientCertificates
            let started = try await start(certificates, zoneID, id)
            guard wait else { return started }
            return try await waitUntil(settled, certificates: certificates, zoneID: zoneID, from: started)
        }
        try CertificateWriter(format: output).write(certificate)
    }

    private static let pollInterval: Duration = .milliseconds(500)

    private func waitUntil(_ settled: ClientCertificateStatus, certificates: ClientCertificates, zoneID: String,
                           from started: ClientCertificate) async throws -> ClientCertificate {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout.duration
        var current = started
        while current.status != settled {
            guard clock.now + Self.pollInterval <= deadline else {
                throw CLIFailure("certificate \(id) is still \(current.status) after \(timeout.seconds) s (--timeout)",
                                 status: .timeout)
            }
            try await Task.sleep(for: Self.pollInterval)
            current = try await certificates.get(zoneID: zoneID, id: id)
        }
        return current
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
