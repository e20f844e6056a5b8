#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The state folder of a manifest (0700, this user's): which certificate each entry has, the entry's key, and
/// what an apply left unfinished. The zone stays the truth for status and expiry; the state only says which of
/// the zone's certificates are the manifest's.
///
///     entries/NAME.json    the entry's certificate id and what it was made from (a file per entry: saving one
///                          entry costs the same in a fleet of 10 or of 100,000)
///     state.json           replaced certificates still to revoke, the unfinished apply's id
///     keys/NAME.key        the entry's private key (0600), keys/NAME.csr its CSR
///     pending/NAME.*       a new certificate under way: its key and CSR, written before the request, and why
///     journal-RUN.jsonl    the bulk journal of the unfinished apply RUN
///     .lock                held by the run that uses the folder
///
/// Every file is written whole or not at all, so a run killed at any moment leaves the state an earlier or a later
/// one. An apply killed after a request was sent finds the request's certificate through the journal, because a
/// pending CSR is sent again as it was.
public struct FleetState: Sendable {
    public let folder: String

    /// What the state records of one entry.
    public struct Entry: Codable, Sendable, Hashable {
        public var zone: String
        public var certificateID: String
        /// What the certificate was made from: a change of it replaces the certificate.
        public var spec: Spec
        /// The entry's hook has yet to run for this certificate.
        public var hookPending: Bool
        /// cfcerts revoked it because the manifest asked (so it may reactivate it when asked again).
        public var revokedByManifest: Bool

        enum CodingKeys: String, CodingKey {
            case zone, spec
            case certificateID = "certificate_id"
            case hookPending = "hook_pending"
            case revokedByManifest = "revoked_by_manifest"
        }
    }

    /// What a certificate is made from, compared with the manifest to tell a replacement.
    public struct Spec: Codable, Sendable, Hashable {
        public var subject: CSRSubject?
        public var keyType: CertificateSigningRequests.KeyType?
        /// The digest of an owner's CSR (whitespace ignored).
        public var csrDigest: String?
        public var validityDays: Int

        enum CodingKeys: String, CodingKey {
            case subject
            case keyType = "key_type"
            case csrDigest = "csr_digest"
            case validityDays = "validity_days"
        }
    }

    /// A certificate replaced by a new one, to revoke once the new one's hook has succeeded.
    public struct Replaced: Codable, Sendable, Hashable {
        public var name: String
        public var zone: String
        public var certificateID: String

        enum CodingKeys: String, CodingKey {
            case name, zone
            case certificateID = "certificate_id"
        }
    }

    /// A new certificate under way for an entry, recorded before its request.
    public struct Pending: Codable, Sendable, Hashable {
        public var action: FleetPlan.Action
        public var spec: Spec
        /// The zone the new certificate is issued in.
        public var zone: String
        /// The certificate it replaces, revoked once the new one is saved and its hook has succeeded, and that
        /// certificate's zone (an entry may move to another zone).
        public var replaces: String?
        public var replacesZone: String?
        /// The apply that made the record: its creates are journaled in `journal-RUN-ZONE.jsonl`, which no other
        /// apply's creates share (a CSR sent again by a later apply is not taken for one an earlier apply issued).
        public var run: String

        enum CodingKeys: String, CodingKey {
            case action, spec, zone, replaces, run
            case replacesZone = "replaces_zone"
        }
    }

    struct Contents: Codable {
        var format = "cfcerts-fleet-state"
        var version = 1
        var replaced: [Replaced] = []
    }

    private var contents: Contents
    public private(set) var entries: [String: Entry]
    public var replaced: [Replaced] { contents.replaced }

    /// Reads the state in `folder`; an empty state when there is none yet (nothing is created by reading).
    public init(folder: String) throws(CFCertsError) {
        self.folder = folder
        entries = [:]
        guard let bytes = try FleetFiles.read(folder + "/state.json") else {
            contents = Contents()
            return
        }
        guard let contents = try? JSONDecoder().decode(Contents.self, from: Data(bytes)),
              contents.format == "cfcerts-fleet-state"
        else {
            throw .invalidArgument("\(folder)/state.json is not a cfcerts fleet state: move it away, or pass the right --state")
        }
        guard contents.version == 1 else {
            throw .invalidArgument("\(folder)/state.json is of version \(contents.version); this cfcerts reads version 1")
        }
        self.contents = contents
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/entries")) ?? []
        for file in files where file.hasSuffix(".json") && !file.contains(".partial-") {
            let name = String(file.dropLast(5))
            guard FleetEntry.isValidName(name) else { continue }
            guard let bytes = try FleetFiles.read(entryPath(name)),
                  let entry = try? JSONDecoder().decode(Entry.self, from: Data(bytes))
            else {
                throw .invalidArgument("\(entryPath(name)) is not a cfcerts fleet entry: move it away to forget \(name)")
            }
            entries[name] = entry
        }
    }

    func entryPath(_ name: String) -> String { folder + "/entries/\(name).json" }

    /// Makes the folder (0700) and its subfolders, checks they are this user's alone, and locks it for a run:
    /// `inUse` at once when another run holds it.
    static func openForRun(_ folder: String) throws(CFCertsError) -> FleetFiles.Lock {
        try FleetFiles.preparePrivateFolder(folder, what: "the state folder")
        let lock = try FleetFiles.Lock(path: folder + "/.lock", holder: "the state folder \(folder)")
        try FleetFiles.preparePrivateFolder(folder + "/keys", what: "the state's keys folder")
        try FleetFiles.preparePrivateFolder(folder + "/pending", what: "the state's pending folder")
        try FleetFiles.preparePrivateFolder(folder + "/entries", what: "the state's entries folder")
        if !FleetFiles.exists(folder + "/state.json") { try FleetState(folder: folder).save() }
        return lock
    }

    func save() throws(CFCertsError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let bytes = try? encoder.encode(contents) else { throw .invalidArgument("the fleet state could not be encoded") }
        try FleetFiles.writeWhole(Array(bytes) + [10], to: folder + "/state.json", secret: false)
    }

    mutating func set(_ entry: Entry, for name: String) throws(CFCertsError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let bytes = try? encoder.encode(entry) else { throw .invalidArgument("the entry \(name) could not be encoded") }
        try FleetFiles.writeWhole(Array(bytes) + [10], to: entryPath(name), secret: false)
        entries[name] = entry
    }

    /// Forgets an entry: its record, then its key and CSR (a pruned certificate's key has no use left).
    mutating func removeEntry(_ name: String) throws(CFCertsError) {
        try FleetFiles.remove(entryPath(name))
        entries[name] = nil
        try FleetFiles.remove(keyPath(name))
        try FleetFiles.remove(csrPath(name))
    }

    mutating func addReplaced(_ replaced: Replaced) throws(CFCertsError) {
        guard !contents.replaced.contains(replaced) else { return }
        contents.replaced.append(replaced)
        try save()
    }

    mutating func removeReplaced(_ replaced: Replaced) throws(CFCertsError) {
        contents.replaced.removeAll { $0 == replaced }
        try save()
    }

    /// A new apply's id: names the journals of the creates it records as pending.
    static func newRunID() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 16) }

    /// The bulk journal of run `run`'s creates in `zone` (a journal records one zone's run).
    func journalPath(run: String, zone: String) -> String { folder + "/journal-\(run)-\(zone).jsonl" }

    /// Removes the journals no pending record refers to any more (their creates are all saved).
    func removeFinishedJournals() throws(CFCertsError) {
        var live = Set<String>()
        for name in pendingNames() {
            if let pending = try? pending(name) { live.insert(pending.run) }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix("journal-") && name.hasSuffix(".jsonl") {
            let run = name.dropFirst("journal-".count).prefix { $0 != "-" }
            if !live.contains(String(run)) { try FleetFiles.remove(folder + "/" + name) }
        }
    }

    // MARK: Keys and pending requests

    func keyPath(_ name: String) -> String { folder + "/keys/\(name).key" }
    func csrPath(_ name: String) -> String { folder + "/keys/\(name).csr" }
    func pendingKeyPath(_ name: String) -> String { folder + "/pending/\(name).key" }
    func pendingCSRPath(_ name: String) -> String { folder + "/pending/\(name).csr" }
    func pendingRecordPath(_ name: String) -> String { folder + "/pending/\(name).json" }

    /// What is under way for `name`, if an apply recorded it and has not finished it.
    public func pending(_ name: String) throws(CFCertsError) -> Pending? {
        guard let bytes = try FleetFiles.read(pendingRecordPath(name)) else { return nil }
        guard let pending = try? JSONDecoder().decode(Pending.self, from: Data(bytes)) else {
            throw .invalidArgument("\(pendingRecordPath(name)) is not a cfcerts pending record: move it away to start \(name) afresh")
        }
        return pending
    }

    /// The names with something under way.
    func pendingNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/pending")) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(FleetEntry.isValidName).sorted()
    }

    /// Records a new certificate under way for `name`: its key (when cfcerts makes it) and CSR, then why. The files
    /// are written whole but not flushed: the caller makes a batch of them durable with `FleetFiles.syncFileSystem`
    /// before it sends any of their requests.
    func recordPending(_ pending: Pending, name: String, keyPEM: String?, csrPEM: String) throws(CFCertsError) {
        if let keyPEM { try FleetFiles.writeWhole(keyPEM, to: pendingKeyPath(name), secret: true, durable: false) }
        try FleetFiles.writeWhole(csrPEM, to: pendingCSRPath(name), secret: false, durable: false)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let bytes = try? encoder.encode(pending) else { throw .invalidArgument("a pending record could not be encoded") }
        try FleetFiles.writeWhole(Array(bytes) + [10], to: pendingRecordPath(name), secret: false, durable: false)
    }

    /// The pending CSR of `name`.
    func pendingCSR(_ name: String) throws(CFCertsError) -> String? { try FleetFiles.readText(pendingCSRPath(name)) }

    /// Makes the pending key, then the pending CSR, the entry's own; the pending record stays until the state
    /// records the certificate (so a record whose CSR is gone has it in keys/). Safe to repeat.
    func adoptPendingKey(_ name: String) throws(CFCertsError) {
        if FleetFiles.exists(pendingKeyPath(name)) { try FleetFiles.move(pendingKeyPath(name), to: keyPath(name)) }
        if FleetFiles.exists(pendingCSRPath(name)) { try FleetFiles.move(pendingCSRPath(name), to: csrPath(name)) }
    }

    /// Drops what is under way for `name` (its request was refused: nothing was issued).
    func dropPending(_ name: String) throws(CFCertsError) {
        try FleetFiles.remove(pendingRecordPath(name))
        try FleetFiles.remove(pendingKeyPath(name))
        try FleetFiles.remove(pendingCSRPath(name))
    }
}
