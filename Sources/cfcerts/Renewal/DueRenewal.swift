import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `cfcerts renew --due DURATION --out-dir DIR`: renews every certificate of the zone that expires within the window
/// and was not renewed before (the folder remembers, see `RenewalFolder`), runs the deploy hook for each, then
/// revokes the old one when asked and the hook succeeded. The certificates are issued as one bulk create with a
/// journal, so a run killed at any moment and started again issues nothing twice; what an earlier run left
/// unfinished (a hook that failed or never ran, an old certificate not yet revoked) is finished.
struct DueRenewal {
    let connection: ConnectionOptions
    let zoneID: String
    let filter: CertificateFilter
    let folder: RenewalFolder
    let keyType: CertificateSigningRequests.KeyType
    let hook: DeployHook?
    let revokeOld: Bool
    let dryRun: Bool
    let options: BulkOptions
    let metricsFile: String?
    let output: OutputFormat

    func run() async throws {
        var lock: RenewalFolder.Lock?
        if !dryRun {
            try folder.prepare()
            lock = try folder.lock()
            try folder.tidy()
        }
        defer { lock?.release() }
        let report = RenewalReport(format: output)
        try await connection.makeClient().using { client in
            try await renew(with: client.clientCertificates, report: report)
            if let metricsFile, !dryRun {
                let metrics = try await ExpiryMetrics.collect(from: client.clientCertificates, zoneID: zoneID, status: nil)
                try OutputFile.writeWhole(metrics, to: metricsFile, secret: false, readableByAll: true)
            }
        }
        try report.finish(selection: filter, dryRun: dryRun)
        if report.renewalsFailed > 0 {
            throw CLIFailure("\(report.renewalsFailed) due certificate(s) were not renewed", status: .itemsFailed)
        }
        if report.hooksFailed > 0 {
            throw CLIFailure("the deploy hook failed for \(report.hooksFailed) renewed certificate(s); the next run tries it again",
                             status: .hookFailed)
        }
        if report.revokesFailed > 0 {
            throw CLIFailure("\(report.revokesFailed) old certificate(s) could not be revoked; the next run tries again",
                             status: .revokeOldFailed)
        }
    }

    private func renew(with certificates: ClientCertificates, report: RenewalReport) async throws {
        let due = try await filter.select(from: certificates, zoneID: zoneID)
        report.due = due.count
        var toRenew: [ClientCertificate] = []
        var toFinish: [(RenewalFolder.Record, ClientCertificate)] = []
        for old in due {
            guard RenewalFolder.isSafeName(old.id) else {
                try report.add(.failed(old, "the server gave an id that cannot name a file"))
                continue
            }
            do {
                if let record = try folder.record(of: old.id) {
                    if isComplete(record) {
                        try report.add(.alreadyRenewed(old, record))
                    } else {
                        toFinish.append((record, old))
                    }
                } else {
                    toRenew.append(old)
                }
            } catch let failure as CLIFailure {
                try report.add(.failed(old, failure.message))
            }
        }
        if dryRun {
            for old in toRenew { try report.add(.wouldRenew(old)) }
            for (_, old) in toFinish { try report.add(.wouldFinish(old)) }
            return
        }
        warnIfRenewalsWouldBeDue(toRenew)
        for (record, old) in toFinish {
            try report.add(await finish(record, old: old, certificates: certificates, renewedNow: false))
        }
        try await issue(toRenew, certificates: certificates, report: report)
    }

    /// Issues a certificate for each of `olds` (one bulk create), then installs and finishes each as it arrives.
    private func issue(_ olds: [ClientCertificate], certificates: ClientCertificates, report: RenewalReport) async throws {
        guard !olds.isEmpty else { return }
        var byID: [String: ClientCertificate] = [:]
        var items: [BulkItem] = []
        for old in olds {
            byID[old.id] = old
            let csr = try folder.pendingRequest(for: old, keyType: keyType)
            items.append(.csr(csr, validityDays: RenewCommand.validityDays(of: old), name: old.id))
        }
        var options = options
        options.journalPolicy = .continuing  // one journal serves every run: its CSRs are fresh for each renewal
        let run = try certificates.bulk(.create, zoneID: zoneID, items: items, options: options)
        for await outcome in run {
            guard let old = outcome.item.name.flatMap({ byID[$0] }) else { continue }
            if let error = outcome.error {
                try report.add(.failed(old, ErrorReport.line(error)))
                continue
            }
            do {
                var renewed = outcome.certificate
                if renewed == nil, let id = outcome.certificateID {
                    renewed = try await certificates.get(zoneID: zoneID, id: id)
                }
                guard let renewed, RenewalFolder.isSafeName(renewed.id) else {
                    try report.add(.failed(old, "the server's answer named no usable certificate id"))
                    continue
                }
                let record = try folder.install(renewed, replacing: old, hook: hook == nil ? .none : .pending)
                try report.add(await finish(record, old: old, certificates: certificates, renewedNow: true))
            } catch let error as CFCertsError {
                try report.add(.failed(old, "issued, but not saved: \(ErrorReport.line(error)); the next run finishes it"))
            }
        }
        if run.summary?.notStarted ?? 0 > 0 { throw CLIFailure("interrupted; run it again to finish", status: .cancelled) }
    }

    /// Runs the hook if it has not succeeded, then revokes the old certificate if asked and the hook succeeded.
    private func finish(_ record: RenewalFolder.Record, old: ClientCertificate, certificates: ClientCertificates,
                        renewedNow: Bool) async throws -> RenewalReport.Result {
        var record = record
        var problem: String?
        if let hook, record.hook == .pending || record.hook == .failed {
            switch await runHook(hook, for: record) {
            case .succeeded:
                record.hook = .succeeded
            case .failed(let why):
                record.hook = .failed
                problem = "deploy hook \(why)"
            case .interrupted(let signal):
                throw CLIFailure("\(DeployHook.name(of: signal)) while the deploy hook for \(record.oldID) ran: the hook has ended and "
                    + "its renewal is left pending; the next run runs it again", status: .cancelled)
            }
            try folder.save(record)
        }
        if revokeOld, hookDone(record), !record.oldRevoked {
            do {
                if old.status == .active { _ = try await certificates.revoke(zoneID: zoneID, id: old.id) }
                record.oldRevoked = true
                try folder.save(record)
            } catch let error as CFCertsError {
                problem = "revoking the old certificate failed: \(ErrorReport.line(error))"
                return .renewed(old, record, folder: folder, now: renewedNow, revokeFailed: true, problem: problem)
            }
        }
        return .renewed(old, record, folder: folder, now: renewedNow, revokeFailed: false, problem: problem)
    }

    private func runHook(_ hook: DeployHook, for record: RenewalFolder.Record) async -> DeployHook.Outcome {
        let keyFile = folder.keyPath(record.newID)
        guard access(keyFile, R_OK) == 0 else { return .failed("not run: the key \(keyFile) is missing") }
        fflush(nil)  // the lines printed so far come before the hook's output, also in one pipe
        return await hook.run([
            "CFCERTS_CERT_FILE": folder.certificatePath(record.newID),
            "CFCERTS_KEY_FILE": keyFile,
            "CFCERTS_NEW_ID": record.newID,
            "CFCERTS_OLD_ID": record.oldID,
            "CFCERTS_COMMON_NAME": record.commonName,
            "CFCERTS_EXPIRES_ON": record.expiresOn,
            "CFCERTS_ZONE_ID": zoneID,
            "CFCERTS_OUT_DIR": folder.path,
        ])
    }

    /// Done with a renewal: its hook succeeded (or none is asked for) and its old certificate is revoked (or that
    /// is not asked for).
    private func isComplete(_ record: RenewalFolder.Record) -> Bool {
        hookDone(record) && (record.oldRevoked || !revokeOld)
    }

    /// The hook has nothing left to do: none is asked for now, none was then, or it succeeded.
    private func hookDone(_ record: RenewalFolder.Record) -> Bool {
        hook == nil || record.hook == .succeeded || record.hook == .none
    }

    /// A renewal as long as the window would be due at once, and renewed again by every run.
    private func warnIfRenewalsWouldBeDue(_ olds: [ClientCertificate]) {
        guard let window = filter.expiringWithin else { return }
        let short = olds.filter { Int64(RenewCommand.validityDays(of: $0)) * 86_400 <= window.seconds }
        guard let first = short.first else { return }
        StandardError.write("cfcerts: warning: \(short.count) certificate(s) (e.g. \(first.id), \(RenewCommand.validityDays(of: first)) days) "
            + "are valid for no longer than --due: their replacements will be due at once\n")
    }
}
