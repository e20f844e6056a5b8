import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `renew --due` prints: a line (or a JSON object with jsonl; one document with json) per due certificate as it
/// is settled, and on standard error what the run amounted to: nothing due, all renewed, or what failed.
final class RenewalReport {
    /// One due certificate's fate, with the field names of the JSON output.
    struct Result: Encodable {
        /// renewed, already_renewed, failed, would_renew, would_finish.
        var status: String
        var old_id: String
        var common_name: String
        var old_expires_on: String
        var new_id: String?
        var expires_on: String?
        var certificate_file: String?
        var key_file: String?
        /// succeeded, failed, none (no --deploy-hook), pending.
        var hook: String?
        var old_revoked: Bool?
        var error: String?
        fileprivate var renewedEarlier = false
        fileprivate var revokeFailed = false

        private enum CodingKeys: String, CodingKey {
            case status, old_id, common_name, old_expires_on, new_id, expires_on, certificate_file, key_file, hook,
                 old_revoked, error
        }

        private init(_ status: String, _ old: ClientCertificate) {
            self.status = status
            old_id = old.id
            common_name = old.commonName
            old_expires_on = old.expiresOn
        }

        static func failed(_ old: ClientCertificate, _ why: String) -> Result {
            var result = Result("failed", old)
            result.error = why
            return result
        }

        static func wouldRenew(_ old: ClientCertificate) -> Result { Result("would_renew", old) }

        /// Renewed by an earlier run whose hook or revoke this run would finish.
        static func wouldFinish(_ old: ClientCertificate) -> Result { Result("would_finish", old) }

        static func alreadyRenewed(_ old: ClientCertificate, _ record: RenewalFolder.Record) -> Result {
            var result = Result("already_renewed", old)
            result.fill(record, folder: nil)
            return result
        }

        static func renewed(_ old: ClientCertificate, _ record: RenewalFolder.Record, folder: RenewalFolder, now: Bool,
                            revokeFailed: Bool, problem: String?) -> Result {
            var result = Result("renewed", old)
            result.fill(record, folder: folder)
            result.renewedEarlier = !now
            result.revokeFailed = revokeFailed
            result.error = problem
            return result
        }

        private mutating func fill(_ record: RenewalFolder.Record, folder: RenewalFolder?) {
            new_id = record.newID
            expires_on = record.expiresOn
            certificate_file = folder?.certificatePath(record.newID)
            key_file = folder?.keyPath(record.newID)
            hook = record.hook.rawValue
            old_revoked = record.oldRevoked
        }

        var tableLine: String {
            let label = String(status.map { $0 == "_" ? " " : $0 })
            var line = label.padding(to: 16) + " " + old_id
            if let new_id { line += " -> " + new_id }
            line += "  " + common_name
            if let certificate_file { line += "  " + certificate_file }
            if let hook, hook != "none" { line += "  hook " + hook }
            if old_revoked == true { line += "  old revoked" }
            if let error { line += "  " + error }
            return line
        }
    }

    private let format: OutputFormat
    private var collected: [String] = []
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    var due = 0
    private(set) var renewedNow = 0
    private(set) var finishedNow = 0
    private(set) var renewedBefore = 0
    private(set) var wouldRenew = 0
    private(set) var renewalsFailed = 0
    private(set) var hooksFailed = 0
    private(set) var revokesFailed = 0

    init(format: OutputFormat) { self.format = format }

    func add(_ result: Result) throws {
        switch result.status {
        case "renewed" where result.renewedEarlier: finishedNow += 1
        case "renewed": renewedNow += 1
        case "already_renewed": renewedBefore += 1
        case "failed": renewalsFailed += 1
        default: wouldRenew += 1
        }
        if result.hook == "failed" { hooksFailed += 1 }
        if result.revokeFailed { revokesFailed += 1 }
        switch format {
        case .table: print(result.tableLine.terminalSafe)
        case .jsonl: print(String(decoding: try encoder.encode(result), as: UTF8.self))
        case .json: collected.append(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }

    /// The json document, and the one line on standard error that says what the run amounted to.
    func finish(selection: CertificateFilter, dryRun: Bool) throws {
        if format == .json { print("[" + collected.joined(separator: ",") + "]") }
        let line: String
        if due == 0 {
            line = "nothing due: no \(selection.summary)"
        } else if dryRun {
            line = "dry run: \(wouldRenew) of \(due) due certificate(s) would be renewed or finished (\(renewedBefore) renewed earlier); nothing was sent or written"
        } else if renewalsFailed + hooksFailed + revokesFailed == 0 {
            line = "all \(due) due certificate(s) renewed: \(renewedNow) now, \(renewedBefore + finishedNow) by earlier runs"
                + (finishedNow > 0 ? " (\(finishedNow) finished now)" : "")
        } else {
            line = "\(due) due: \(renewedNow) renewed now, \(renewedBefore + finishedNow) by earlier runs, \(renewalsFailed) not renewed, "
                + "\(hooksFailed) deploy hook(s) failed, \(revokesFailed) old certificate(s) not revoked"
        }
        StandardError.writeAfterOutput("cfcerts: \(line)\n")
    }
}
