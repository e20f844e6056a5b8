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

@main
struct CFCertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfcerts",
        abstract: "Manage Cloudflare API Shield mTLS client certificates.",
        discussion: """
            Credentials come from --api-token (or --api-email with --api-key, or --user-service-key), else from the \
            environment: CLOUDFLARE_API_TOKEN, then CLOUDFLARE_API_TOKEN_FILE (a file whose one line is the token: \
            no environment holds it), then CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL, then \
            CLOUDFLARE_API_USER_SERVICE_KEY. The token needs the zone permission "SSL and Certificates" (Read to \
            list and get, Edit to create, revoke and reactivate). CLOUDFLARE_BASE_URL points it at another server \
            (the emulator). --zone defaults to CLOUDFLARE_ZONE_ID.

            Exit codes: \(ExitStatus.summary)
            """,
        version: CFCertsVersion.string,
        subcommands: [ListCommand.self, GetCommand.self, CreateCommand.self, RevokeCommand.self,
                      ReactivateCommand.self, RenewCommand.self, CSRCommand.self, HostnamesCommand.self,
                      MTLSCommand.self, PlanCommand.self, ApplyCommand.self, ImportCommand.self])

    /// Runs the command, turning every failure into one line on standard error and its documented exit status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CFCertsError {
            fail(ErrorReport.line(error), status: ExitStatus(error))
        } catch let failure as CLIFailure {
            fail(failure.message, status: failure.status)
        } catch {
            exit(withError: error)
        }
    }

    private static func fail(_ message: String, status: ExitStatus) -> Never {
        StandardError.write("cfcerts: \(message)\n")
        Glibc.exit(status.rawValue)
    }
}
