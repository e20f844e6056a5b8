import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `cfcerts apply -f fleet.yaml`: makes the zone and the output files match the manifest.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the zone and the output files match a manifest.",
        discussion: """
            Plans as `cfcerts plan` does, shows the plan and asks on a terminal (--yes otherwise), then issues new \
            certificates (paced, --concurrency at a time), saves each with its key and outputs, runs the entry's \
            hook, and only then revokes the certificate it replaces (create before revoke). Killed at any moment \
            and run again, it finishes what was under way: nothing is issued twice, no certificate is left \
            without its key. The state folder is locked for the run (a second apply exits 14).

            A hook runs as `/bin/sh -c HOOK` with CFCERTS_NAME, CFCERTS_NEW_ID, CFCERTS_OLD_ID, \
            CFCERTS_COMMON_NAME, CFCERTS_EXPIRES_ON, CFCERTS_ZONE_ID, CFCERTS_OUT_DIR, CFCERTS_CERT_FILE, \
            CFCERTS_KEY_FILE, CFCERTS_CHAIN_FILE and CFCERTS_P12_FILE, without the credential variables; a failed hook keeps the \
            old certificate active and runs again next time.

            Exit 0 when every step was done, 12 when some failed (each is reported; run apply again), 14 when the \
            state is in use, 130 when interrupted.
            """)

    @OptionGroup var fleet: FleetOptions
    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Apply without asking (required when standard input is not a terminal).")
    var yes = false

    @Option(help: ArgumentHelp("Apply the plan `cfcerts plan --out FILE` saved, refused if the manifest, the state or the zone changed since.",
                               valueName: "file"))
    var plan: String?

    @Option(help: "Requests in flight at once, 1 to 64.")
    var concurrency = 8

    @Option(help: ArgumentHelp("Longest a hook may run before it is ended and counts as failed, e.g. 90s or 10m.", valueName: "duration"))
    var hookTimeout: CLIDuration = CLIDuration(argument: "10m")!

    @Option(help: "table, or json (the apply's report as one JSON document).")
    var output: FleetOutputFormat = .table

    func validate() throws {
        guard BulkOptions.concurrencyRange.contains(concurrency) else {
            throw ValidationError("--concurrency must be from 1 to \(BulkOptions.concurrencyRange.upperBound)")
        }
    }

    func run() async throws {
        let manifest = try fleet.manifest()
        let savedBasis = try plan.map(Self.basis(ofSavedPlan:))
        let report = try await connection.makeClient().using { client in
            var basis = savedBasis
            if basis == nil {
                let plan = try await client.fleet.plan(manifest, stateFolder: fleet.stateFolder)
                guard plan.hasChanges else {
                    if output == .table { print("Nothing to do: the zone and the outputs match the manifest.") }
                    return FleetApplyReport?.none
                }
                if !yes {
                    guard isatty(STDIN_FILENO) == 1 else {
                        throw CLIFailure("apply changes the zone: pass --yes when standard input is not a terminal")
                    }
                    FleetReport.print(plan, format: .table, to: StandardError.write)
                    StandardError.write("Apply these changes? Only 'yes' is accepted: ")
                    guard readLine()?.split(whereSeparator: \.isWhitespace) == ["yes"] else {
                        throw CLIFailure("nothing done", status: .cancelled)
                    }
                    basis = plan.basis  // what was agreed to, and nothing else
                }
            }
            let hookTimeout = hookTimeout
            let format = output
            let options = FleetApplyOptions(
                concurrency: concurrency,
                hookRunner: { _, command, environment in
                    fflush(nil)  // the lines printed so far come before the hook's output
                    switch await DeployHook(command: command, timeout: hookTimeout).run(environment) {
                    case .succeeded: return .succeeded
                    case .failed(let why): return .failed(why)
                    case .interrupted(let signal): return .interrupted(DeployHook.name(of: signal))
                    }
                },
                expectedBasis: basis,
                onResult: { result in if format == .table { FleetReport.print(result) } })
            return try await client.fleet.apply(manifest, stateFolder: fleet.stateFolder, options: options)
        }
        guard let report else { return }
        FleetReport.finish(report, format: output)
        if report.interrupted { throw CLIFailure("interrupted; run apply again to finish", status: .cancelled) }
        if report.failed > 0 {
            throw CLIFailure("\(report.failed) step(s) failed (each is reported above); run apply again to finish", status: .itemsFailed)
        }
    }

    private static func basis(ofSavedPlan path: String) throws -> String {
        struct Saved: Decodable { var basis: String }
        guard let saved = try? JSONDecoder().decode(Saved.self, from: Data(OutputFile.read(path).utf8)) else {
            throw CLIFailure("\(path) is not a plan saved by `cfcerts plan --out`", status: .invalidArgument)
        }
        return saved.basis
    }
}
