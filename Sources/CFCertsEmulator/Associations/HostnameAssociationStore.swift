import Foundation
import NIOConcurrencyHelpers

/// The hostnames associated with each CA of each zone: one list per zone and CA id (the empty id stands for the
/// Cloudflare-managed CA), replaced whole by each `PUT`. With `--state`, each change is in the state database
/// (through `CertificateStore`, its owner) before it is served.
final class HostnameAssociationStore: Sendable {
    private struct Key: Hashable {
        var zone: String
        var certificateAuthority: String
    }

    private let lists: NIOLockedValueBox<[Key: [String]]>
    private let persistence: CertificateStore

    /// The lists `persistence` holds (none without a state database).
    init(persistence: CertificateStore) throws {
        var lists: [Key: [String]] = [:]
        for row in try persistence.storedHostnameAssociations() {
            lists[Key(zone: row.zone, certificateAuthority: row.authority)] = row.hostnames
        }
        self.lists = NIOLockedValueBox(lists)
        self.persistence = persistence
    }

    /// The list of `certificateAuthority` (nil: the managed CA) in `zone`; empty when none was set.
    func hostnames(zone: String, certificateAuthority: String?) -> [String] {
        lists.withLockedValue { $0[Key(zone: zone, certificateAuthority: certificateAuthority ?? "")] ?? [] }
    }

    /// Replaces that CA's list; `[]` removes it. Throws (1500) when the state database cannot be written, and
    /// then nothing changed.
    func replace(zone: String, certificateAuthority: String?, with hostnames: [String]) throws {
        let key = Key(zone: zone, certificateAuthority: certificateAuthority ?? "")
        try lists.withLockedValue { lists in
            try persistence.saveHostnameAssociation(
                .init(zone: zone, authority: key.certificateAuthority, hostnames: hostnames))
            lists[key] = hostnames.isEmpty ? nil : hostnames
        }
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

    func reset() throws {
        try lists.withLockedValue { lists in
            try persistence.saveHostnameAssociation(nil)
            lists.removeAll()
        }
    }
}
