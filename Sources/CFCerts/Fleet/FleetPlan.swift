#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What an apply would do, entry by entry: made by `FleetPlanner` from the manifest, the state and one reading
/// of the zone. Encodes to the JSON every face prints (`--output json`).
public struct FleetPlan: Codable, Sendable, Hashable {
    public enum Action: String, Codable, Sendable, Hashable, CaseIterable {
        /// Issue a certificate for an entry that has none.
        case create
        /// Issue a new certificate for an entry whose certificate is due (`renew_before`), then revoke the old one.
        case renew
        /// Issue a new certificate because the entry changed, or its certificate was revoked or deleted outside
        /// cfcerts, then revoke the old one (if it is still active).
        case replace
        /// Reactivate a certificate cfcerts revoked for the manifest, now asked to be active again.
        case reactivate
        /// Revoke the entry's certificate (its status is `revoked`), or one no longer listed (`prune: revoke`).
        case revoke
        /// Revoke a certificate replaced earlier, once its successor is saved and its hook has succeeded.
        case revokeReplaced = "revoke_replaced"
        /// Run the entry's hook, which has not succeeded for its certificate yet.
        case runHook = "run_hook"
        /// Write output files that are missing or differ from the certificate and key.
        case writeOutputs = "write_outputs"
        /// Nothing: a certificate the state holds that the manifest no longer lists, left as it is (`prune: keep`).
        case keep
        /// Nothing to do.
        case none
    }

    public struct Step: Codable, Sendable, Hashable {
        public var name: String
        public var zone: String
        public var action: Action
        /// Why, in words (`validity_days 365 -> 30`, `due since 2027-01-01T00:00:00Z`).
        public var reason: String
        /// The certificate the entry has now, if any.
        public var certificateID: String?

        enum CodingKeys: String, CodingKey {
            case name, zone, action, reason
            case certificateID = "certificate_id"
        }
    }

    public var steps: [Step]
    /// How many steps of each action (every action listed, 0 included).
    public var counts: [String: Int]
    /// API requests apply would make (the zone's listing included).
    public var requests: Int
    /// How long those requests take at the client's request budget, in seconds (0 when they fit in one window).
    public var estimatedSeconds: Int
    /// The budget the estimate assumes, in words (`1200 requests per 300 s`).
    public var budget: String
    /// A digest of what the plan would do and why, entry by entry: a saved plan is applied only while the manifest,
    /// the state and the zone still give the same steps.
    public var basis: String

    enum CodingKeys: String, CodingKey {
        case steps, counts, requests, budget, basis
        case estimatedSeconds = "estimated_seconds"
    }

    /// Whether apply would change anything (`keep` and `none` change nothing).
    public var hasChanges: Bool { steps.contains { $0.action != .none && $0.action != .keep } }

    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
