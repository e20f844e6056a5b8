import ArgumentParser
import CFCerts
#if canImport(Glibc)
import Glibc
#endif

/// `cfcerts plan -f fleet.yaml`: what apply would do, entry by entry, read from the zone once.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would do to make the zone match a manifest.",
        discussion: """
            Reads each zone once (every certificate) and the state folder, and prints per entry: create, renew \
            (due by renew_before), replace (the entry changed, or its certificate was revoked or deleted outside \
            cfcerts), reactivate, revoke, revoke_replaced, run_hook, write_outputs, keep (no longer listed, prune: \
            keep) or none; then the counts, the requests apply would make and how long they take at the request \
            budget. Nothing is written.
            """)

    @OptionGroup var fleet: FleetOptions
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "table, or json (the plan as one JSON document).")
    var output: FleetOutputFormat = .table

    @Flag(help: "Exit 0 when there is nothing to do, 2 when there are changes, 1 on any error (Terraform's convention).")
    var detailedExitcode = false

    @Option(help: ArgumentHelp("Also save the plan as JSON in FILE: `apply --plan FILE` applies it only while the manifest, the state and the zone still give the same plan.",
                               valueName: "file"))
    var out: String?

    func run() async throws {
        do {
            let manifest = try fleet.manifest()
            let plan = try await connection.makeClient().using { client in
                try await client.fleet.plan(manifest, stateFolder: fleet.stateFolder)
            }
            if let out { try OutputFile.writeWhole(plan.jsonString() + "\n", to: out, secret: false) }
            FleetReport.print(plan, format: output)
            if detailedExitcode, plan.hasChanges { throw ExitCode(2) }
        } catch let exit as ExitCode {
            throw exit
        } catch where detailedExitcode {
            // Terraform's convention: 1 for every error, so 2 means changes only.
            let message = (error as? CFCertsError).map(ErrorReport.line) ?? (error as? CLIFailure)?.message ?? "\(error)"
            StandardError.write("cfcerts: \(message)\n")
            throw ExitCode(1)
        }
    }
}

enum FleetOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
