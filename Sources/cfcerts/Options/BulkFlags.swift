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

/// The flags of commands that act on many certificates.
struct BulkFlags: ParsableArguments {
    @Flag(help: "Print what would be done and send no write request.")
    var dryRun = false

    @Flag(help: "Act on more than one certificate without asking (required when standard input is not a terminal).")
    var yes = false

    @Option(help: "Certificates in flight at once, 1 to 64.")
    var concurrency = 8

    @Option(help: ArgumentHelp("Record this run in FILE, each item before and after its request (append-only, fsync, 0600): the same command run again with the same FILE finishes what is left and does nothing twice. A FILE of a finished run or of other items is refused (pass a new one); one another run is using is refused (exit 14).",
                               valueName: "file"))
    var journal: String?

    func validate() throws {
        guard BulkOptions.concurrencyRange.contains(concurrency) else {
            throw ValidationError("--concurrency must be from 1 to \(BulkOptions.concurrencyRange.upperBound)")
        }
    }

    var options: BulkOptions { BulkOptions(concurrency: concurrency, journalPath: journal) }

    /// The options of a run whose items a selection chose: its journal is resumed by the same selection (which
    /// finds fewer items once some are done), not by the same items.
    func options(selection: String) -> BulkOptions {
        BulkOptions(concurrency: concurrency, journalPath: journal, request: selection)
    }

    /// Goes on only with consent to act on `count` certificates: --yes, or "y" typed on a terminal.
    func confirm(_ question: String, count: Int) throws {
        guard count > 1, !yes else { return }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIFailure("\(question.dropLast()): acting on \(count) certificates needs --yes when standard input is not a terminal")
        }
        StandardError.write("\(question) [y/N] ")
        let answer = readLine()?.filter { !$0.isWhitespace }.lowercased()
        guard answer == "y" || answer == "yes" else { throw CLIFailure("nothing done", status: .cancelled) }
    }
}
