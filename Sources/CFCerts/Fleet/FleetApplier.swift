#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs an entry's hook: the face that applies decides how (the CLI spawns `/bin/sh -c` with signals relayed).
/// `environment` holds the `CFCERTS_*` variables of the entry's new files.
public typealias FleetHookRunner = @Sendable (_ name: String, _ command: String, _ environment: [String: String]) async -> FleetHookOutcome

public enum FleetHookOutcome: Sendable, Equatable {
    case succeeded
    /// It ran and failed (exit status, signal), or could not start: in words.
    case failed(String)
    /// The apply was interrupted while it ran: it stays pending for the next apply.
    case interrupted(String)
}

/// How an apply goes.
public struct FleetApplyOptions: Sendable {
    /// Requests in flight at once for the creates and revokes, 1...64. Default 8.
    public var concurrency: Int
    /// Runs the entries' hooks; required when an entry has one.
    public var hookRunner: FleetHookRunner?
    /// The `basis` of a saved plan: the apply is refused when the manifest, the state or the zone no longer give
    /// that plan. Default nil: apply what is decided now.
    public var expectedBasis: String?
    /// Told of each step as it ends (on any thread).
    public var onResult: (@Sendable (FleetApplyReport.Result) -> Void)?

    public init(concurrency: Int = 8, hookRunner: FleetHookRunner? = nil, expectedBasis: String? = nil,
                onResult: (@Sendable (FleetApplyReport.Result) -> Void)? = nil) {
        self.concurrency = concurrency
        self.hookRunner = hookRunner
        self.expectedBasis = expectedBasis
        self.onResult = onResult
    }
}

/// What an apply did.
public struct FleetApplyReport: Codable, Sendable {
    public struct Result: Codable, Sendable, Hashable {
        public enum Outcome: String, Codable, Sendable {
            case done, failed
        }

        public var name: String
        public var action: FleetPlan.Action
        public var outcome: Outcome
        /// The entry's certificate after the step (a new one's for create, renew, replace).
        public var certificateID: String?
        /// What went wrong, or what was written.
        public var detail: String?

        enum CodingKeys: String, CodingKey {
            case name, action, outcome, detail
            case certificateID = "certificate_id"
        }
    }

    public var results: [Result] = []
    /// Steps done and failed.
    public var done = 0
    public var failed = 0
    /// Answers 429 the apply's requests drew (0 while pacing keeps to the budget).
    public var rateLimitedAnswers = 0
    /// The apply was interrupted (cancelled, or a hook was): run it again to finish.
    public var interrupted = false

    enum CodingKeys: String, CodingKey {
        case results, done, failed, interrupted
        case rateLimitedAnswers = "rate_limited_answers"
    }

    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Carries out the planner's decisions, in an order that converges after a kill at any moment:
///
/// 1. New certificates (create, renew, replace): each entry's key and CSR are recorded as pending before its
///    request, and the creates go out as one bulk run with the state's journal, so a run started again sends the
///    same CSR and the journal finds the certificate already issued. Each issued certificate is saved (key moved,
///    outputs written, state updated) before anything else happens to the entry.
/// 2. Reactivations and revocations the manifest asks for (status, prune).
/// 3. Hooks of newly saved certificates (and of earlier ones that failed).
/// 4. Replaced certificates are revoked, each only once its successor's hook has succeeded (create before revoke).
/// 5. Output files that are missing or differ are written.
struct FleetApplier {
    let client: CFCertsClient
    let manifest: FleetManifest
    let options: FleetApplyOptions
    let now: @Sendable () -> Date

    private var certificates: ClientCertificates { client.clientCertificates }

    func apply(stateFolder: String) async throws(CFCertsError) -> FleetApplyReport {
        guard BulkOptions.concurrencyRange.contains(options.concurrency) else {
            throw .invalidArgument("concurrency must be from 1 to \(BulkOptions.concurrencyRange.upperBound)")
        }
        if options.hookRunner == nil, let entry = manifest.entries.first(where: { $0.hook != nil }) {
            throw .invalidArgument("\(entry.name) has a hook, and this apply was given no way to run hooks")
        }
        let lock = try FleetState.openForRun(stateFolder)
        defer { lock.release() }
        var state = try FleetState(folder: stateFolder)
        let limitedBefore = client.rateLimitedAnswers
        let zones = try await Fleet.readZones(of: manifest, state: state, from: certificates)
        let planner = FleetPlanner(manifest: manifest, state: state, zones: zones, now: now())
        let decisions = try planner.decide()
        if let expected = options.expectedBasis {
            let plan = Fleet.plan(from: decisions, zones: zones, pacing: client.configuration.pacing)
            guard plan.basis == expected else {
                throw .invalidArgument("the saved plan no longer matches the manifest, the state or the zone (they changed since it was made): make a new plan")
            }
        }
        var current: [String: ClientCertificate] = [:]
        for decision in decisions where decision.entry != nil {
            if let certificate = decision.current { current[decision.step.name] = certificate }
        }
        var run = Run(state: state, report: FleetApplyReport(), options: options)
        try await run.issue(decisions.filter { [.create, .renew, .replace].contains($0.step.action) }, certificates: certificates)
        try await run.transition(decisions.filter { [.reactivate, .revoke].contains($0.step.action) }, certificates: certificates)
        try await run.runHooks(manifest: manifest, current: current)
        try await run.revokeReplaced(manifest: manifest, certificates: certificates)
        run.writeOutputs(manifest: manifest, current: current,
                         asked: Set(decisions.filter { $0.step.action == .writeOutputs }.map(\.step.name)))
        state = run.state
        try state.removeFinishedJournals()
        run.report.rateLimitedAnswers = client.rateLimitedAnswers - limitedBefore
        return run.report
    }

    /// The state and report of one apply as it goes.
    private struct Run {
        var state: FleetState
        var report: FleetApplyReport
        let options: FleetApplyOptions
        /// Entries whose certificate this run issued, with it.
        var issued: [String: ClientCertificate] = [:]

        mutating func add(_ name: String, _ action: FleetPlan.Action, failed detail: String?, certificateID: String? = nil) {
            let result = FleetApplyReport.Result(name: name, action: action, outcome: detail == nil ? .done : .failed,
                                                 certificateID: certificateID, detail: detail)
            report.results.append(result)
            if detail == nil { report.done += 1 } else { report.failed += 1 }
            options.onResult?(result)
        }

        mutating func addDone(_ name: String, _ action: FleetPlan.Action, certificateID: String?, detail: String? = nil) {
            let result = FleetApplyReport.Result(name: name, action: action, outcome: .done, certificateID: certificateID,
                                                 detail: detail)
            report.results.append(result)
            report.done += 1
            options.onResult?(result)
        }

        // MARK: 1. New certificates

        mutating func issue(_ decisions: [FleetPlanner.Decision], certificates: ClientCertificates) async throws(CFCertsError) {
            // One bulk run per journal: a pending record's creates go to the journal of the apply that made it (its
            // zone and run), so this apply's new records never meet another apply's done records of the same CSR.
            struct Group: Hashable { var zone: String; var run: String }
            let thisRun = FleetState.newRunID()
            var groups: [Group] = []
            var items: [Group: [BulkItem]] = [:]
            var prepared: [String: (entry: FleetEntry, pending: FleetState.Pending)] = [:]
            for decision in decisions {
                guard let entry = decision.entry, let spec = decision.spec else { continue }
                do throws(CFCertsError) {
                    let (pending, csr) = try prepare(entry, decision: decision, spec: spec, run: thisRun)
                    let group = Group(zone: pending.zone, run: pending.run)
                    if items[group] == nil { groups.append(group) }
                    items[group, default: []].append(.csr(csr, validityDays: pending.spec.validityDays, name: entry.name))
                    prepared[entry.name] = (entry, pending)
                } catch {
                    add(entry.name, decision.step.action, failed: error.message)
                }
            }
            guard !groups.isEmpty else { return }
            // Every pending key, CSR and record is on disk before any request is sent.
            try FleetFiles.syncFileSystem(of: state.folder)
            for group in groups where !report.interrupted {
                let run = try certificates.bulk(.create, zoneID: group.zone, items: items[group] ?? [],
                                                options: BulkOptions(concurrency: options.concurrency,
                                                                     journalPath: state.journalPath(run: group.run, zone: group.zone),
                                                                     journalPolicy: .continuing))
                await withTaskCancellationHandler {
                    for await outcome in run {
                        guard let name = outcome.item.name, let (entry, pending) = prepared[name] else { continue }
                        await save(outcome, entry: entry, pending: pending, certificates: certificates)
                    }
                } onCancel: { run.cancel() }
                if run.summary?.notStarted ?? 0 > 0 || Task.isCancelled { report.interrupted = true }
            }
        }

        /// Saves one create's certificate: the key and CSR become the entry's, the outputs are written, the state
        /// records it (and what it replaces), and the pending record goes last. Safe to repeat after a kill.
        private mutating func save(_ outcome: BulkOutcome, entry: FleetEntry, pending: FleetState.Pending,
                                   certificates: ClientCertificates) async {
            if let error = outcome.error {
                if error.isRefusal { try? state.dropPending(entry.name) }  // nothing was issued: decide afresh next time
                add(entry.name, pending.action, failed: error.message)
                return
            }
            var certificate = outcome.certificate
            if certificate == nil, let id = outcome.certificateID {
                certificate = try? await certificates.get(zoneID: entry.zoneID, id: id)
            }
            guard let certificate else {
                add(entry.name, pending.action, failed: "issued as \(outcome.certificateID ?? "?"), but it could not be read back; the next apply saves it")
                return
            }
            do throws(CFCertsError) {
                try state.adoptPendingKey(entry.name)
                try FleetOutputWriter(state: state).write(entry, certificate: certificate, newCertificate: true)
                try state.set(FleetState.Entry(zone: pending.zone, certificateID: certificate.id, spec: pending.spec,
                                               hookPending: entry.hook != nil, revokedByManifest: false), for: entry.name)
                if let old = pending.replaces, old != certificate.id {
                    try state.addReplaced(FleetState.Replaced(name: entry.name, zone: pending.replacesZone ?? pending.zone,
                                                              certificateID: old))
                }
                try FleetFiles.remove(state.pendingRecordPath(entry.name))
                issued[entry.name] = certificate
                addDone(entry.name, pending.action, certificateID: certificate.id)
            } catch {
                add(entry.name, pending.action, failed: "issued as \(certificate.id), but not saved: \(error.message); the next apply saves it",
                    certificateID: certificate.id)
            }
        }

        // MARK: 2. Reactivations and revocations

        mutating func transition(_ decisions: [FleetPlanner.Decision], certificates: ClientCertificates) async throws(CFCertsError) {
            for operation in [BulkOperation.reactivate, .revoke] where !report.interrupted {
                let action: FleetPlan.Action = operation == .revoke ? .revoke : .reactivate
                let chosen = decisions.filter { $0.step.action == action }
                for zone in Self.zones(of: chosen) {
                    let inZone = chosen.filter { $0.step.zone == zone && $0.current != nil }
                    guard !inZone.isEmpty else { continue }
                    let items = inZone.map { BulkItem.certificate($0.current?.id ?? "", name: $0.step.name) }
                    let run = try certificates.bulk(operation, zoneID: zone, items: items,
                                                    options: BulkOptions(concurrency: options.concurrency))
                    let outcomes = await Self.collect(run)
                    for outcome in outcomes {
                        guard let name = outcome.item.name else { continue }
                        if let error = outcome.error {
                            add(name, action, failed: error.message, certificateID: outcome.certificateID)
                            continue
                        }
                        do throws(CFCertsError) {
                            if var recorded = state.entries[name] {
                                if inZone.first(where: { $0.step.name == name })?.entry == nil {
                                    try state.removeEntry(name)  // pruned: no longer the manifest's
                                } else {
                                    recorded.revokedByManifest = operation == .revoke
                                    try state.set(recorded, for: name)
                                }
                            }
                            addDone(name, action, certificateID: outcome.certificateID)
                        } catch {
                            add(name, action, failed: "done, but the state could not record it: \(error.message)",
                                certificateID: outcome.certificateID)
                        }
                    }
                    if run.summary?.notStarted ?? 0 > 0 || Task.isCancelled { report.interrupted = true }
                }
            }
        }

        // MARK: 3. Hooks

        mutating func runHooks(manifest: FleetManifest, current: [String: ClientCertificate]) async throws(CFCertsError) {
            for entry in manifest.entries where !report.interrupted {
                guard var recorded = state.entries[entry.name], recorded.hookPending else { continue }
                guard let command = entry.hook, entry.status == .active, let runner = options.hookRunner else {
                    recorded.hookPending = false  // no hook asked any more
                    try state.set(recorded, for: entry.name)
                    continue
                }
                guard let certificate = issued[entry.name] ?? current[entry.name], certificate.id == recorded.certificateID else {
                    continue  // its certificate is not known now: the next apply runs it
                }
                var environment = [
                    "CFCERTS_NAME": entry.name,
                    "CFCERTS_NEW_ID": certificate.id,
                    "CFCERTS_OLD_ID": state.replaced.last(where: { $0.name == entry.name })?.certificateID ?? "",
                    "CFCERTS_COMMON_NAME": certificate.commonName,
                    "CFCERTS_EXPIRES_ON": certificate.expiresOn,
                    "CFCERTS_ZONE_ID": entry.zoneID,
                ]
                if let folder = entry.outputs.folder {
                    environment["CFCERTS_OUT_DIR"] = folder
                    let base = folder + "/" + entry.name
                    if entry.outputs.files.contains(.certificate) { environment["CFCERTS_CERT_FILE"] = base + ".pem" }
                    if entry.outputs.files.contains(.key), case .generated = entry.source { environment["CFCERTS_KEY_FILE"] = base + ".key" }
                    if entry.outputs.files.contains(.chain) { environment["CFCERTS_CHAIN_FILE"] = base + ".ca.pem" }
                    if FleetOutputWriter(state: state).bundlePath(of: entry) != nil { environment["CFCERTS_P12_FILE"] = base + ".p12" }
                }
                switch await runner(entry.name, command, environment) {
                case .succeeded:
                    recorded.hookPending = false
                    try state.set(recorded, for: entry.name)
                    addDone(entry.name, .runHook, certificateID: certificate.id)
                case .failed(let why):
                    add(entry.name, .runHook, failed: "the hook \(why); the next apply runs it again (the certificate it replaces stays active until then)",
                        certificateID: certificate.id)
                case .interrupted(let why):
                    add(entry.name, .runHook, failed: "\(why) while its hook ran; the next apply runs it again", certificateID: certificate.id)
                    report.interrupted = true
                }
            }
        }

        // MARK: 4. Replaced certificates

        mutating func revokeReplaced(manifest: FleetManifest, certificates: ClientCertificates) async throws(CFCertsError) {
            let hooked = Set(manifest.entries.filter { $0.hook != nil }.map(\.name))
            let ready = state.replaced.filter { replaced in
                !(hooked.contains(replaced.name) && state.entries[replaced.name]?.hookPending == true)
            }
            for zone in Self.zones(ofReplaced: ready) where !report.interrupted {
                let inZone = ready.filter { $0.zone == zone }
                let items = inZone.map { BulkItem.certificate($0.certificateID, name: $0.name, seenStatus: .active) }
                let run = try certificates.bulk(.revoke, zoneID: zone, items: items,
                                                options: BulkOptions(concurrency: options.concurrency))
                for outcome in await Self.collect(run) {
                    guard let replaced = inZone.first(where: { $0.certificateID == outcome.item.certificateID }) else { continue }
                    var settled = outcome.error == nil
                    if let error = outcome.error {
                        // Revoked or deleted since (by hand, or by a killed apply whose answer was lost): done too.
                        if error.kind == .notFound {
                            settled = true
                        } else if let now = try? await certificates.get(zoneID: zone, id: replaced.certificateID),
                                  now.status == .revoked || now.status == .pendingRevocation {
                            settled = true
                        }
                    }
                    guard settled else {
                        add(replaced.name, .revokeReplaced, failed: outcome.error?.message, certificateID: replaced.certificateID)
                        continue
                    }
                    do throws(CFCertsError) {
                        try state.removeReplaced(replaced)
                        addDone(replaced.name, .revokeReplaced, certificateID: replaced.certificateID)
                    } catch {
                        add(replaced.name, .revokeReplaced, failed: "revoked, but the state could not record it: \(error.message)",
                            certificateID: replaced.certificateID)
                    }
                }
                if run.summary?.notStarted ?? 0 > 0 || Task.isCancelled { report.interrupted = true }
            }
        }

        // MARK: 5. Outputs

        mutating func writeOutputs(manifest: FleetManifest, current: [String: ClientCertificate], asked: Set<String>) {
            for entry in manifest.entries where entry.status == .active && !report.interrupted {
                guard let recorded = state.entries[entry.name],
                      let certificate = issued[entry.name] ?? current[entry.name], certificate.id == recorded.certificateID,
                      issued[entry.name] == nil
                else { continue }
                do throws(CFCertsError) {
                    let written = try FleetOutputWriter(state: state).write(entry, certificate: certificate)
                    if !written.isEmpty || asked.contains(entry.name) {
                        addDone(entry.name, .writeOutputs, certificateID: certificate.id,
                                detail: written.isEmpty ? nil : "wrote " + written.joined(separator: ", "))
                    }
                } catch {
                    add(entry.name, .writeOutputs, failed: error.message, certificateID: certificate.id)
                }
            }
        }

        /// Every outcome of a run of revokes or reactivates (each is recorded once the run is over: a state change
        /// lost to a kill is found again from the zone). Cancelling the caller cancels the run.
        private static func collect(_ run: BulkRun) async -> [BulkOutcome] {
            await withTaskCancellationHandler {
                var outcomes: [BulkOutcome] = []
                for await outcome in run { outcomes.append(outcome) }
                return outcomes
            } onCancel: { run.cancel() }
        }

        private static func zones(of decisions: [FleetPlanner.Decision]) -> [String] {
            var seen = Set<String>()
            return decisions.map(\.step.zone).filter { seen.insert($0).inserted }
        }

        private static func zones(ofReplaced replaced: [FleetState.Replaced]) -> [String] {
            var seen = Set<String>()
            return replaced.map(\.zone).filter { seen.insert($0).inserted }
        }

        /// The pending record, key and CSR of `entry`'s new certificate: an earlier run's, or made now.
        private func prepare(_ entry: FleetEntry, decision: FleetPlanner.Decision, spec: FleetState.Spec,
                             run: String) throws(CFCertsError) -> (FleetState.Pending, String) {
            if let pending = try state.pending(entry.name) {
                // The key and CSR are moved to keys/ before the record goes: a record without them was saved.
                var csr = try state.pendingCSR(entry.name)
                if csr == nil { csr = try FleetFiles.readText(state.csrPath(entry.name)) }
                guard let csr else {
                    throw .invalidArgument("\(state.pendingRecordPath(entry.name)) has lost its CSR: move it away to start \(entry.name) afresh")
                }
                return (pending, csr)
            }
            let replaced = decision.current.flatMap { current in
                current.status == .active || current.status == .pendingReactivation ? current : nil
            }
            let pending = FleetState.Pending(action: decision.step.action, spec: spec, zone: entry.zoneID,
                                             replaces: replaced?.id,
                                             replacesZone: replaced.flatMap { _ in state.entries[entry.name]?.zone },
                                             run: run)
            switch entry.source {
            case .csr(let path):
                let csr = try FleetPlanner.ownerCSR(of: entry, path: path)
                try state.recordPending(pending, name: entry.name, keyPEM: nil, csrPEM: csr)
                return (pending, csr)
            case .generated(let subject, let keyType, let rotation):
                let generated: CertificateSigningRequests.Generated
                if rotation == .never, decision.step.action != .create,
                   let keyPEM = try FleetFiles.readText(state.keyPath(entry.name)),
                   let reused = try? CertificateSigningRequests.generate(subject: subject, privateKeyPEM: keyPEM),
                   reused.keyType == keyType {
                    generated = reused
                } else {
                    generated = try CertificateSigningRequests.generate(subject: subject, keyType: keyType)
                }
                try state.recordPending(pending, name: entry.name, keyPEM: generated.privateKeyPEM, csrPEM: generated.csrPEM)
                return (pending, generated.csrPEM)
            }
        }
    }
}
