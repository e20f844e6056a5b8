#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decides what each entry needs, from the manifest, the state and one reading of each zone (every certificate,
/// every status). The same decisions drive `plan` (printed) and `apply` (carried out), so what apply does is what
/// plan said.
struct FleetPlanner {
    let manifest: FleetManifest
    let state: FleetState
    /// Every certificate of each zone the manifest or the state names, by id.
    let zones: [String: [String: ClientCertificate]]
    let now: Date

    /// One decision, with what apply needs beyond the printed step.
    struct Decision {
        var step: FleetPlan.Step
        /// The manifest's entry (nil for a certificate the manifest no longer lists, or a replaced one).
        var entry: FleetEntry?
        /// What the entry's certificate is made from now (for create, renew, replace).
        var spec: FleetState.Spec?
        /// The entry's certificate as the zone has it now.
        var current: ClientCertificate?
        /// The replaced certificate (for `revokeReplaced`).
        var replaced: FleetState.Replaced?
    }

    func decide() throws(CFCertsError) -> [Decision] {
        var decisions: [Decision] = []
        let listed = Set(manifest.entries.map(\.name))
        for entry in manifest.entries {
            decisions.append(try decide(entry))
        }
        for name in state.pendingNames() where !listed.contains(name) {
            // An earlier apply left a create under way for an entry since removed: it may have been issued, so it
            // is finished (found, or sent) and saved without outputs; prune then decides on it like any other.
            guard let pending = try state.pending(name) else { continue }
            let orphan = FleetEntry(name: name, zoneID: pending.zone, source: .csr(path: state.pendingCSRPath(name)),
                                    validityDays: pending.spec.validityDays, outputs: FleetOutputs(folder: nil, files: []))
            decisions.append(Decision(step: FleetPlan.Step(name: name, zone: pending.zone, action: pending.action,
                                                          reason: "no longer in the manifest, but an earlier apply left it under way: it is finished first (nothing is issued twice), then prune applies",
                                                          certificateID: state.entries[name]?.certificateID),
                                      entry: orphan, spec: pending.spec,
                                      current: state.entries[name].flatMap { zones[$0.zone]?[$0.certificateID] }))
        }
        for (name, recorded) in state.entries.sorted(by: { $0.key < $1.key }) where !listed.contains(name) {
            let current = zones[recorded.zone]?[recorded.certificateID]
            var step = FleetPlan.Step(name: name, zone: recorded.zone, action: .keep,
                                      reason: "no longer in the manifest; prune is keep, so it is left as it is",
                                      certificateID: recorded.certificateID)
            if manifest.prune == .revoke {
                if let current, current.status == .active || current.status == .pendingReactivation {
                    step.action = .revoke
                    step.reason = "no longer in the manifest (prune: revoke)"
                } else {
                    step.action = .none
                    step.reason = "no longer in the manifest and already \(current.map { $0.status.rawValue } ?? "gone from the zone")"
                }
            }
            decisions.append(Decision(step: step, entry: nil, current: current))
        }
        for replaced in state.replaced {
            let current = zones[replaced.zone]?[replaced.certificateID]
            guard let current, current.status == .active || current.status == .pendingReactivation else {
                // Revoked or deleted since: apply only drops it from the state.
                decisions.append(Decision(step: FleetPlan.Step(name: replaced.name, zone: replaced.zone, action: .none,
                                                              reason: "the certificate it replaced is no longer active",
                                                              certificateID: replaced.certificateID),
                                          current: current, replaced: replaced))
                continue
            }
            decisions.append(Decision(step: FleetPlan.Step(name: replaced.name, zone: replaced.zone, action: .revokeReplaced,
                                                          reason: "replaced by the entry's new certificate",
                                                          certificateID: replaced.certificateID),
                                      current: current, replaced: replaced))
        }
        return decisions
    }

    private func decide(_ entry: FleetEntry) throws(CFCertsError) -> Decision {
        let recorded = state.entries[entry.name]
        let current = recorded.flatMap { zones[$0.zone]?[$0.certificateID] }
        var decision = Decision(step: FleetPlan.Step(name: entry.name, zone: entry.zoneID, action: .none, reason: "up to date",
                                                     certificateID: recorded?.certificateID),
                                entry: entry, current: current)
        func set(_ action: FleetPlan.Action, _ reason: String) {
            decision.step.action = action
            decision.step.reason = reason
        }
        if let pending = try state.pending(entry.name) {
            decision.spec = pending.spec
            set(pending.action, "an earlier apply left it under way; it is finished, nothing is issued twice")
            return decision
        }
        if entry.status == .revoked {
            if let current, current.status == .active || current.status == .pendingReactivation {
                set(.revoke, "its status is revoked in the manifest")
            } else {
                set(.none, recorded == nil ? "its status is revoked and it has no certificate" : "revoked, as the manifest asks")
            }
            return decision
        }
        let spec = try Self.spec(of: entry)
        decision.spec = spec
        guard let recorded else {
            set(.create, "no certificate yet")
            return decision
        }
        guard recorded.zone == entry.zoneID else {
            set(.replace, "its zone changed from \(recorded.zone)")
            return decision
        }
        guard let current else {
            set(.replace, "its certificate \(recorded.certificateID) is gone from the zone (deleted outside cfcerts)")
            return decision
        }
        switch current.status {
        case .revoked, .pendingRevocation:
            if recorded.revokedByManifest && current.status == .pendingRevocation {
                set(.reactivate, "its status is active again in the manifest")
            } else {
                set(.replace, "its certificate \(current.id) was revoked \(recorded.revokedByManifest ? "" : "outside cfcerts")"
                    .trimmingTrailingSpace())
            }
            return decision
        default:
            break
        }
        if let change = Self.change(from: recorded.spec, to: spec) {
            set(.replace, change)
            return decision
        }
        if let issued = current.issuedOnDate, let expires = current.expiresOnDate {
            let due = entry.renewBefore.renewalTime(issued: issued, expires: expires)
            if due <= now {
                set(.renew, "due since \(BulkJournal.timestamp(due)) (renew_before \(entry.renewBefore), expires \(current.expiresOn))")
                return decision
            }
        }
        if recorded.hookPending, entry.hook != nil {
            set(.runHook, "its hook has not succeeded for certificate \(current.id)")
            return decision
        }
        if let stale = try FleetOutputWriter(state: state).staleFiles(of: entry, certificate: current) {
            set(.writeOutputs, stale)
        }
        return decision
    }

    /// What `entry`'s certificate is made from now. Reads an owner's CSR file, which must be a valid CSR.
    static func spec(of entry: FleetEntry) throws(CFCertsError) -> FleetState.Spec {
        switch entry.source {
        case .generated(let subject, let keyType, _):
            return FleetState.Spec(subject: subject, keyType: keyType, csrDigest: nil, validityDays: entry.validityDays)
        case .csr(let path):
            let pem = try ownerCSR(of: entry, path: path)
            return FleetState.Spec(subject: nil, keyType: nil, csrDigest: CSRText.digest(pem), validityDays: entry.validityDays)
        }
    }

    static func ownerCSR(of entry: FleetEntry, path: String) throws(CFCertsError) -> String {
        guard let pem = try FleetFiles.readText(path) else {
            throw .invalidArgument("\(entry.name): its CSR \(path) does not exist")
        }
        let inspection: CertificateSigningRequests.Inspection
        do throws(CFCertsError) {
            inspection = try CertificateSigningRequests.inspect(pem: pem)
        } catch {
            throw .invalidArgument("\(entry.name): \(path): \(error.message)")
        }
        guard inspection.signatureIsValid else {
            throw .invalidArgument("\(entry.name): the CSR \(path) is not signed by its own key (the API would refuse it)")
        }
        return pem
    }

    /// Why a certificate made from `old` no longer fits `new`, nil when it does.
    static func change(from old: FleetState.Spec, to new: FleetState.Spec) -> String? {
        var changes: [String] = []
        if old.validityDays != new.validityDays { changes.append("validity_days \(old.validityDays) -> \(new.validityDays)") }
        if old.keyType != new.keyType, let newType = new.keyType {
            changes.append(old.keyType.map { "key type \($0.rawValue) -> \(newType.rawValue)" }
                ?? "cfcerts has no key for it (adopted without --key, or the owner's CSR before)")
        }
        if old.subject != new.subject, let subject = new.subject {
            changes.append(old.subject.map { $0.commonName == subject.commonName ? "subject changed" : "common name \($0.commonName) -> \(subject.commonName)" }
                ?? "now a generated key and subject")
        }
        if old.csrDigest != new.csrDigest, new.csrDigest != nil { changes.append("its CSR file changed") }
        return changes.isEmpty ? nil : changes.joined(separator: ", ")
    }
}

private extension String {
    func trimmingTrailingSpace() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
