import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a bulk command prints: each item's outcome as it completes (table lines, or one JSON object a line with
/// jsonl, or one document at the end with json), progress on standard error when it is a terminal, and the totals
/// on standard error.
final class BulkReport {
    private let format: OutputFormat
    private let verb: String
    private let total: Int
    private let progress = ProgressLine(enabled: Terminal.standardErrorIsTerminal)
    private let started = ContinuousClock.now
    private var completed = 0
    private var collected: [String] = []
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `verb` in the past tense: "revoked", "reactivated", "issued".
    init(format: OutputFormat, verb: String, total: Int) {
        self.format = format
        self.verb = verb
        self.total = total
    }

    /// One item's outcome; `commonName` when the command knows it, `note` for the table (a file written).
    func add(_ outcome: BulkOutcome, commonName: String?, note: String? = nil, rateLimitedSoFar: Int) throws {
        completed += 1
        switch format {
        case .table:
            progress.clear()
            let label = switch outcome.disposition {
            case .done: verb
            case .alreadyDone: "already done"
            case .failed: "failed"
            }
            var line = label.padding(to: 13) + " " + (outcome.certificateID ?? outcome.item.name ?? "item \(outcome.index)")
            if let name = outcome.item.name, outcome.certificateID != nil { line += "  " + name }
            if let commonName = commonName ?? outcome.certificate?.commonName { line += "  " + commonName }
            if let error = outcome.error { line += "  " + ErrorReport.line(error) }
            if let error = outcome.journalError { line += "  journal not written: " + error.message }
            if let note { line += "  " + note }
            print(line.terminalSafe)
        case .jsonl:
            print(try json(outcome, commonName: commonName))
        case .json:
            collected.append(try json(outcome, commonName: commonName))
        }
        let elapsed = seconds(ContinuousClock.now - started)
        let rate = elapsed > 0 ? Double(completed) / elapsed : 0
        let eta = rate > 0 ? Int(min(Double(total - completed) / rate, 1e7)) : 0
        progress.update("\(verb.dropLast(1)): \(completed)/\(total)  \(Self.oneDecimal(rate))/s  ETA \(eta) s  429s: \(rateLimitedSoFar)")
    }

    /// The totals on standard error, and the json document.
    func finish(_ summary: BulkSummary) throws {
        progress.clear()
        if format == .json {
            let totals = String(decoding: try encoder.encode(SummaryJSON(summary)), as: UTF8.self)
            print(#"{"results":["# + collected.joined(separator: ",") + #"],"summary":"# + totals + "}")
        }
        let elapsed = seconds(summary.elapsed)
        var line = "cfcerts: \(verb) \(summary.done)"
        if summary.alreadyDone > 0 { line += ", already done \(summary.alreadyDone)" }
        if summary.failed > 0 { line += ", failed \(summary.failed)" }
        if summary.notStarted > 0 { line += ", not started \(summary.notStarted)" }
        line += " of \(summary.total) in \(Self.oneDecimal(elapsed)) s"
        if elapsed > 0 { line += " (\(Self.oneDecimal(Double(summary.done + summary.failed) / elapsed))/s)" }
        line += "; 429 answers: \(summary.rateLimitedAnswers)\n"
        StandardError.writeAfterOutput(line)
    }

    /// The command's failure when the journal could not be written: the items done are reported (and their PEMs
    /// saved); the run started no more.
    static func journalFailure(_ error: CFCertsError, _ summary: BulkSummary) -> CLIFailure {
        CLIFailure("the journal could not be written (\(error.message)); the run stopped, \(summary.notStarted) item(s) not started",
                   status: .file)
    }

    private func json(_ outcome: BulkOutcome, commonName: String?) throws -> String {
        String(decoding: try encoder.encode(OutcomeJSON(outcome, commonName: commonName)), as: UTF8.self)
    }

    private func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite else { return "?" }
        let tenths = Int((min(max(value, 0), 1e12) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// One outcome, with the C API's field names.
    private struct OutcomeJSON: Encodable {
        struct ErrorJSON: Encodable {
            let kind: String
            let message: String
            let http_status: Int?
            let ray_id: String?
            let cloudflare_errors: [CloudflareMessage]

            init(_ error: CFCertsError) {
                kind = "\(error.kind)"
                message = error.message
                http_status = error.httpStatus
                ray_id = error.rayID
                cloudflare_errors = error.cloudflareErrors
            }
        }

        let index: Int
        let status: String
        let id: String?
        let name: String?
        let common_name: String?
        let certificate: ClientCertificate?
        let error: ErrorJSON?
        let journal_error: ErrorJSON?

        init(_ outcome: BulkOutcome, commonName: String?) {
            index = outcome.index
            status = outcome.disposition.rawValue
            id = outcome.certificateID
            name = outcome.item.name
            common_name = commonName ?? outcome.certificate?.commonName
            certificate = outcome.certificate
            error = outcome.error.map(ErrorJSON.init)
            journal_error = outcome.journalError.map(ErrorJSON.init)
        }
    }

    private struct SummaryJSON: Encodable {
        let total, done, already_done, failed, not_started, rate_limited_answers: Int
        let elapsed_seconds: Double

        init(_ summary: BulkSummary) {
            total = summary.total
            done = summary.done
            already_done = summary.alreadyDone
            failed = summary.failed
            not_started = summary.notStarted
            rate_limited_answers = summary.rateLimitedAnswers
            let (seconds, attoseconds) = summary.elapsed.components
            elapsed_seconds = Double(seconds) + Double(attoseconds) / 1e18
        }
    }
}
