import Foundation
import NIOConcurrencyHelpers

/// The hostnames associated with each CA of each zone: one list per zone and CA id (the empty id stands for the
/// Cloudflare-managed CA), replaced whole by each `PUT`. With `--state`, each change is in the state database
/// (through `CertificateStore`, its owner) before it is served.
///
/// Changes are written one at a time (`writing`), and the database write happens outside the lock that readers
/// take: the gateway asks `isAssociatedWithManagedCA` on its event loops for every handshake and request, and
/// never waits for a disk flush.
final class HostnameAssociationStore: Sendable {
    private struct Key: Hashable {
        var zone: String
        var certificateAuthority: String
    }

    /// The lists, and the managed CA's names of every zone, lower-cased, for the gateway's lookups.
    private struct Lists {
        var byKey: [Key: [String]] = [:]
        var managedNames: Set<String> = []
        /// `*.example.com` as `.example.com`.
        var managedSuffixes: Set<String> = []

        init(_ byKey: [Key: [String]]) {
            self.byKey = byKey
            for (key, hostnames) in byKey where key.certificateAuthority.isEmpty {
                for hostname in hostnames.map({ $0.lowercased() }) {
                    if hostname.hasPrefix("*.") { managedSuffixes.insert(String(hostname.dropFirst())) } else { managedNames.insert(hostname) }
                }
            }
        }
    }

    private let lists: NIOLockedValueBox<Lists>
    private let writing = NIOLock()
    private let persistence: CertificateStore

    /// The lists `persistence` holds (none without a state database).
    init(persistence: CertificateStore) throws {
        var byKey: [Key: [String]] = [:]
        for row in try persistence.storedHostnameAssociations() {
            byKey[Key(zone: row.zone, certificateAuthority: row.authority)] = row.hostnames
        }
        self.lists = NIOLockedValueBox(Lists(byKey))
        self.persistence = persistence
    }

    /// The list of `certificateAuthority` (nil: the managed CA) in `zone`; empty when none was set.
    func hostnames(zone: String, certificateAuthority: String?) -> [String] {
        lists.withLockedValue { $0.byKey[Key(zone: zone, certificateAuthority: certificateAuthority ?? "")] ?? [] }
    }

    /// Replaces that CA's list; `[]` removes it. Throws (1500) when the state database cannot be written, and
    /// then nothing changed.
    func replace(zone: String, certificateAuthority: String?, with hostnames: [String]) throws {
        let key = Key(zone: zone, certificateAuthority: certificateAuthority ?? "")
        try writing.withLock {
            try persistence.saveHostnameAssociation(.init(zone: zone, authority: key.certificateAuthority, hostnames: hostnames))
            lists.withLockedValue { lists in
                var byKey = lists.byKey
                byKey[key] = hostnames.isEmpty ? nil : hostnames
                lists = Lists(byKey)
            }
        }
    }

    /// Whether `hostname` (a Host or an SNI name, in any letter case, with or without the root's trailing dot) is on
    /// the Cloudflare-managed CA's list of any zone, exactly or under a wildcard entry (the gateway serves every
    /// zone, and its certificates are the managed CA's).
    func isAssociatedWithManagedCA(_ hostname: String) -> Bool {
        var name = hostname.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { return false }
        return lists.withLockedValue { lists in
            if lists.managedNames.contains(name) { return true }
            guard !lists.managedSuffixes.isEmpty, let dot = name.firstIndex(of: ".") else { return false }
            // Every suffix of the name that starts at a dot: a.b.example.com -> .b.example.com, .example.com, .com
            var rest = name[dot...]
            while true {
                if lists.managedSuffixes.contains(String(rest)) { return true }
                guard let next = rest.dropFirst().firstIndex(of: ".") else { return false }
                rest = name[next...]
            }
        }
    }

    /// Forgets every list (and deletes them from the state database).
    func reset() throws {
        try writing.withLock {
            try persistence.saveHostnameAssociation(nil)
            lists.withLockedValue { $0 = Lists([:]) }
        }
    }
}
