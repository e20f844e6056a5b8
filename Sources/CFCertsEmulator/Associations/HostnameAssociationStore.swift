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

    /// Whether `hostname` is on the Cloudflare-managed CA's list of any zone, compared without letter case (the
    /// gateway serves every zone, and its certificates are the managed CA's).
    func isAssociatedWithManagedCA(_ hostname: String) -> Bool {
        let wanted = hostname.lowercased()
        return lists.withLockedValue { lists in
            lists.contains { key, hostnames in
                key.certificateAuthority.isEmpty && hostnames.contains { $0.lowercased() == wanted }
            }
        }
    }

    func reset() {
        lists.withLockedValue { $0.removeAll() }
    }
}
