import Crypto
import Foundation
import NIOConcurrencyHelpers

/// Every zone's certificates, in creation order, with the lifecycle rules of the API.
/// Thread-safe; with a `StateDatabase`, every change is on disk before the call that made it returns.
final class CertificateStore: Sendable {
    private struct Zone {
        var order: [String] = []
        var records: [String: CertificateRecord] = [:]
        /// Ids whose status is in transition, settled lazily on the next read.
        var pending: Set<String> = []

        mutating func settle(now: Date) {
            for id in pending {
                records[id]?.settle(now: now)
                if records[id]?.settlesAt == nil { pending.remove(id) }
            }
        }

        mutating func insert(_ record: CertificateRecord) {
            order.append(record.id)
            records[record.id] = record
            if record.settlesAt != nil { pending.insert(record.id) }
        }
    }

    /// What a change touched, for the database: certificates added (with their place in the zone's order) or
    /// changed (their place is kept), or all removed.
    private struct Changes {
        var touched: [(zone: String, id: String, sequence: Int)] = []
        var cleared = false

        mutating func inserted(_ id: String, zone: String, zones: [String: Zone]) {
            touched.append((zone, id, (zones[zone]?.order.count ?? 1) - 1))
        }

        mutating func changed(_ id: String, zone: String) {
            touched.append((zone, id, 0))
        }
    }

    let authority: CertificateAuthority
    private let database: StateDatabase?
    /// The one subject key of seeded certificates (they are test fixtures; nobody holds their keys).
    private let seedKey = P256.Signing.PrivateKey()
    private let zones: NIOLockedValueBox<[String: Zone]>

    /// Opens the store: from `database` when it holds a CA, else with a new CA of `keyType` (saved to it).
    init(database: StateDatabase?, keyType: CertificateAuthority.KeyType) throws {
        self.database = database
        if let database, let persisted = try Self.reading(database, { try $0.authority() }) {
            authority = try CertificateAuthority(persisted: persisted)
            zones = NIOLockedValueBox(try Self.zones(from: database))
        } else {
            authority = try CertificateAuthority(keyType: keyType)
            zones = NIOLockedValueBox([:])
            try database?.saveAuthority(authority.persisted)
        }
    }

    private static func zones(from database: StateDatabase) throws -> [String: Zone] {
        var zones: [String: Zone] = [:]
        for row in try reading(database, { try $0.certificates() }) {
            zones[row.zone, default: Zone()].insert(row.record)
        }
        return zones
    }

    /// A read of the database at startup, its failure named as the database's.
    private static func reading<T>(_ database: StateDatabase, _ read: (StateDatabase) throws -> T) throws -> T {
        do {
            return try read(database)
        } catch {
            throw EmulatorConfiguration.Invalid(description: "the state database \(database.path) could not be read (\(error)); move it away, or pass another --state path")
        }
    }

    /// Stores a newly issued certificate.
    func insert(_ record: CertificateRecord, zone zoneID: String) throws {
        try mutate { zones, changes in
            zones[zoneID, default: Zone()].insert(record)
            changes.inserted(record.id, zone: zoneID, zones: zones)
        }
    }

    /// One certificate, with its status settled and its certificate signed if it was seeded.
    func certificate(zone zoneID: String, id: String, now: Date) throws -> CertificateRecord? {
        let record = zones.withLockedValue { zones -> CertificateRecord? in
            zones[zoneID]?.settle(now: now)
            return zones[zoneID]?.records[id]
        }
        guard let record else { return nil }
        return try materialized([record], zone: zoneID)[0]
    }

    /// The current status of the issued certificate with this SHA-256 fingerprint (lower-case hex), settled as a
    /// read settles it; nil when no zone holds it. Read afresh on every call: the mTLS gateway caches no verdict.
    func status(fingerprintSHA256 fingerprint: String, now: Date) -> CertificateStatus? {
        zones.withLockedValue { zones -> CertificateStatus? in
            for (zoneID, zone) in zones {
                guard let id = zone.order.first(where: { zone.records[$0]?.fingerprintSha256 == fingerprint }) else { continue }
                zones[zoneID]?.settle(now: now)
                return zones[zoneID]?.records[id]?.status
            }
            return nil
        }
    }

    /// The result of a list query: one page, and the size of the whole filtered listing.
    struct Listing {
        var records: [CertificateRecord]
        var totalCount: Int
    }

    /// Lists a zone: filter by `status`, skip `offset`, keep at most `limit`, then cut page `page` of `perPage`.
    func list(zone zoneID: String, status: CertificateStatus?, offset: Int, limit: Int?, page: Int, perPage: Int,
              now: Date) throws -> Listing {
        let listing = zones.withLockedValue { zones -> Listing in
            zones[zoneID]?.settle(now: now)
            guard let zone = zones[zoneID] else { return Listing(records: [], totalCount: 0) }
            let ids: [String] = status.map { wanted in zone.order.filter { zone.records[$0]?.status == wanted } } ?? zone.order
            let start = min(offset, ids.count)
            let end = limit.map { min(ids.count, start + $0) } ?? ids.count
            let total = end - start
            let pageStart = start + min(total, (page - 1) * perPage)
            let pageEnd = min(end, pageStart + perPage)
            return Listing(records: ids[pageStart..<pageEnd].compactMap { zone.records[$0] }, totalCount: total)
        }
        return Listing(records: try materialized(listing.records, zone: zoneID), totalCount: listing.totalCount)
    }

    /// `DELETE`: active -> pending_revocation, settling to revoked after `delay`.
    func revoke(zone zoneID: String, id: String, now: Date, delay: Duration) throws -> CertificateRecord {
        try transition(zone: zoneID, id: id, now: now, delay: delay, from: .active, to: .pendingRevocation,
                       refusal: APIError.cannotRevoke)
    }

    /// `PATCH {"reactivate": true}`: pending_revocation -> pending_reactivation, settling to active after `delay`.
    func reactivate(zone zoneID: String, id: String, now: Date, delay: Duration) throws -> CertificateRecord {
        try transition(zone: zoneID, id: id, now: now, delay: delay, from: .pendingRevocation,
                       to: .pendingReactivation, refusal: APIError.cannotReactivate)
    }

    private func transition(zone zoneID: String, id: String, now: Date, delay: Duration,
                            from: CertificateStatus, to: CertificateStatus,
                            refusal: (String) -> APIError) throws -> CertificateRecord {
        let record = try mutate { zones, changes throws -> CertificateRecord in
            zones[zoneID]?.settle(now: now)
            guard var record = zones[zoneID]?.records[id] else { throw APIError.certificateNotFound() }
            guard record.status == from else { throw refusal(record.status.rawValue) }
            record.status = to
            record.settlesAt = now.addingTimeInterval(delay.seconds)
            zones[zoneID]?.records[id] = record
            zones[zoneID]?.pending.insert(id)
            changes.changed(id, zone: zoneID)
            return record
        }
        return try materialized([record], zone: zoneID)[0]
    }

    /// Adds `count` certificates to a zone at once; their certificates are signed on first read.
    func seed(zone zoneID: String, count: Int, status: CertificateStatus, commonNamePrefix: String,
              validityDays: Int, now: Date) throws {
        try mutate { zones, changes in
            let first = zones[zoneID]?.order.count ?? 0
            zones[zoneID, default: Zone()].order.reserveCapacity(first + count)
            for index in 0..<count {
                let record = authority.seededRecord(
                    commonName: "\(commonNamePrefix)-\(first + index + 1)", status: status,
                    validityDays: validityDays, now: now)
                zones[zoneID, default: Zone()].insert(record)
                changes.inserted(record.id, zone: zoneID, zones: zones)
            }
        }
    }

    /// How many certificates a zone holds.
    func count(zone zoneID: String) -> Int {
        zones.withLockedValue { $0[zoneID]?.order.count ?? 0 }
    }

    /// Ends every pending transition now, whatever its delay (for tests that must not depend on timing).
    func settleAll() throws {
        try mutate { zones, changes in
            for zoneID in zones.keys {
                for id in zones[zoneID]?.pending ?? [] { changes.changed(id, zone: zoneID) }
                zones[zoneID]?.settle(now: .distantFuture)
            }
        }
    }

    /// Forgets every certificate (the CA is kept).
    func reset() throws {
        try mutate { zones, changes in
            zones.removeAll()
            changes.cleared = true
        }
    }

    /// The stored hostname lists (none without a database).
    func storedHostnameAssociations() throws -> [StateDatabase.AssociationRow] {
        guard let database else { return [] }
        return try Self.reading(database) { try $0.hostnameAssociations() }
    }

    /// Saves one CA's hostname list (nil: deletes every list) before returning; nothing without a database. The
    /// database is this store's, so its writes go under this store's lock.
    func saveHostnameAssociation(_ row: StateDatabase.AssociationRow?) throws {
        try zones.withLockedValue { _ in
            do {
                try database?.saveHostnameAssociation(row)
            } catch {
                throw APIError.internalError("the state database could not be written")
            }
        }
    }

    /// Closes the database, its whole state in its main file (see `StateDatabase.close`); later changes fail.
    func close() throws {
        try zones.withLockedValue { _ in try database?.close() }
    }

    /// Applies a change and, with a database, saves what it touched before returning. When the save fails the
    /// change is undone (the state is read back from the database, which rolled it back), so nothing unacknowledged
    /// is served and nothing acknowledged is lost.
    private func mutate<T>(_ change: (inout [String: Zone], inout Changes) throws -> T) throws -> T {
        try zones.withLockedValue { zones in
            var changes = Changes()
            let result = try change(&zones, &changes)
            guard let database else { return result }
            do {
                let rows = changes.touched.compactMap { touched -> StateDatabase.Row? in
                    zones[touched.zone]?.records[touched.id].map {
                        StateDatabase.Row(zone: touched.zone, sequence: touched.sequence, record: $0)
                    }
                }
                try database.save(rows, clearFirst: changes.cleared)
            } catch {
                zones = (try? Self.zones(from: database)) ?? [:]
                throw APIError.internalError("the state database could not be written")
            }
            return result
        }
    }

    /// Signs the certificates of seeded records among `records` (outside the lock) and keeps the results.
    private func materialized(_ records: [CertificateRecord], zone zoneID: String) throws -> [CertificateRecord] {
        guard records.contains(where: { $0.certificate.isEmpty }) else { return records }
        let filled = try records.map { try $0.certificate.isEmpty ? authority.materialize($0, subjectKey: seedKey) : $0 }
        return try mutate { zones, changes in
            filled.map { record in
                guard var stored = zones[zoneID]?.records[record.id] else { return record }
                if stored.certificate.isEmpty {
                    stored.certificate = record.certificate
                    stored.csr = record.csr
                    stored.fingerprintSha256 = record.fingerprintSha256
                    stored.ski = record.ski
                    zones[zoneID]?.records[record.id] = stored
                    changes.changed(record.id, zone: zoneID)
                }
                return stored  // another request may have signed it first: its certificate is the one kept
            }
        }
    }
}

extension Duration {
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
