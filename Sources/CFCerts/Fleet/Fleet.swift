#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Fleet as code: `plan` says what it takes to make the zone match a manifest, `apply` does it (see
/// `FleetManifest`, `FleetState`, `FleetApplier`). Reached as `client.fleet`.
public struct Fleet: Sendable {
    let client: CFCertsClient
    /// What time plans are made at (tests plan a year ahead to find certificates due).
    var now: @Sendable () -> Date = { Date() }

    /// What apply would do now: reads each zone once (every certificate) and the state folder (not created, not
    /// locked). Throws for a manifest entry that cannot be planned (an unreadable CSR file) or a failed listing.
    public func plan(_ manifest: FleetManifest, stateFolder: String) async throws(CFCertsError) -> FleetPlan {
        let state = try FleetState(folder: stateFolder)
        let zones = try await Self.readZones(of: manifest, state: state, from: client.clientCertificates)
        let decisions = try FleetPlanner(manifest: manifest, state: state, zones: zones, now: now()).decide()
        return Self.plan(from: decisions, zones: zones, pacing: client.configuration.pacing)
    }

    /// Converges the zone and the output files to the manifest (see `FleetApplier` for the order), under the state
    /// folder's lock (`inUse` at once when another apply holds it). Killed at any moment and run again, it finishes
    /// what was under way: nothing is issued twice, no certificate is left without its key.
    public func apply(_ manifest: FleetManifest, stateFolder: String,
                      options: FleetApplyOptions = FleetApplyOptions()) async throws(CFCertsError) -> FleetApplyReport {
        try await FleetApplier(client: client, manifest: manifest, options: options, now: now).apply(stateFolder: stateFolder)
    }

    /// Every certificate of each zone the manifest or the state names, by id.
    static func readZones(of manifest: FleetManifest, state: FleetState,
                          from certificates: ClientCertificates) async throws(CFCertsError) -> [String: [String: ClientCertificate]] {
        var zoneIDs = Set(manifest.entries.map(\.zoneID))
        zoneIDs.formUnion(state.entries.values.map(\.zone))
        zoneIDs.formUnion(state.replaced.map(\.zone))
        var zones: [String: [String: ClientCertificate]] = [:]
        for zone in zoneIDs.sorted() {
            var byID: [String: ClientCertificate] = [:]
            do {
                for try await certificate in try certificates.list(zoneID: zone, perPage: 50) { byID[certificate.id] = certificate }
            } catch let error as CFCertsError {
                throw error
            } catch {
                throw CFCertsError(kind: .connection, message: "listing zone \(zone) failed: \(error)")
            }
            zones[zone] = byID
        }
        return zones
    }

    /// The plan of `decisions`: counts, the requests apply makes and their time at `pacing`, and its basis.
    static func plan(from decisions: [FleetPlanner.Decision], zones: [String: [String: ClientCertificate]],
                     pacing: Pacing) -> FleetPlan {
        var counts = Dictionary(uniqueKeysWithValues: FleetPlan.Action.allCases.map { ($0.rawValue, 0) })
        var requests = zones.values.reduce(0) { $0 + max(1, ($1.count + 49) / 50) }
        for decision in decisions {
            counts[decision.step.action.rawValue, default: 0] += 1
            switch decision.step.action {
            case .create, .reactivate, .revoke, .revokeReplaced: requests += 1
            // The new certificate, then the old one revoked once saved (counted in revoke_replaced later).
            case .renew, .replace: requests += decision.current?.status == .active ? 2 : 1
            case .runHook, .writeOutputs, .keep, .none: break
            }
        }
        var estimate = 0
        if pacing.isOn, pacing.requests > 0, requests > pacing.requests {
            let windows = (requests - 1) / pacing.requests
            estimate = windows * Int(pacing.window.components.seconds)
        }
        // What apply would do and why: a change of the zone, the state or the manifest that would make apply do
        // anything else changes it; one that would not (a certificate of no entry's, a revocation that completes)
        // does not.
        let basis = decisions.map { "\($0.step.name)|\($0.step.zone)|\($0.step.action.rawValue)|\($0.step.certificateID ?? "")|\($0.step.reason)" }
        return FleetPlan(steps: decisions.map(\.step), counts: counts, requests: requests, estimatedSeconds: estimate,
                         budget: pacing.description, basis: SHA256Hex.of(basis.joined(separator: "\n")))
    }
}

extension CFCertsClient {
    /// Plan and apply a manifest of certificates (fleet as code).
    public var fleet: Fleet { Fleet(client: self) }
}
