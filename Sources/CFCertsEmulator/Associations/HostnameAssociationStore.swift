import Foundation
import NIOConcurrencyHelpers

/// The hostnames associated with each CA of each zone: one list per zone and CA id (the empty id stands for the
/// Cloudflare-managed CA), replaced whole by each `PUT`.
final class HostnameAssociationStore: Sendable {
    private struct Key: Hashable {
        var zone: String
        var certificateAuthority: String
    }

    private let lists = NIOLockedValueBox<[Key: [String]]>([:])

    /// The list of `certificateAuthority` (nil: the managed CA) in `zone`; empty when none was set.
    func hostnames(zone: String, certificateAuthority: String?) -> [String] {
        lists.withLockedValue { $0[Key(zone: zone, certificateAuthority: certificateAuthority ?? "")] ?? [] }
    }

    /// Replaces that CA's list; `[]` removes it.
    func replace(zone: String, certificateAuthority: String?, with hostnames: [String]) {
        let key = Key(zone: zone, certificateAuthority: certificateAuthority ?? "")
        lists.withLockedValue { $0[key] = hostnames.isEmpty ? nil : hostnames }
    }

    func reset() {
        lists.withLockedValue { $0.removeAll() }
    }
}
