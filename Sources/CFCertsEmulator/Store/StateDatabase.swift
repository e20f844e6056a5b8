import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `--state` database: the CA and every certificate in SQLite (WAL, synchronous=FULL), so a change costs one
/// small transaction whatever the number of certificates, is on disk before the request that made it is answered,
/// and a kill at any moment leaves the last committed state, with no stray copy of the CA key.
///
/// The file must belong to the user running the emulator and be readable and writable by its owner only (it holds
/// the CA key the gateway trusts); SQLite's `-wal` and `-shm` files take its mode. One emulator at a time works on
/// it (`StateFileLock`). A file that is not this emulator's database (another program's, a damaged one, the JSON
/// state of earlier versions) is refused with a message naming it, and left untouched (`StateDatabaseCheck`).
/// `close()` at a clean shutdown leaves the whole state in the main file.
///
/// Not thread-safe: `CertificateStore` calls it under its lock only.
final class StateDatabase: @unchecked Sendable {
    let path: String
    private let connection: SQLiteConnection
    /// Held from the start until `close()`: no other emulator opens the file meanwhile.
    private var lock: StateFileLock?
    /// The file opened (device, inode): a change is refused once `path` names another file or none, since what
    /// is written then would be lost at the next start.
    private let identity: (dev_t, ino_t)

    /// One stored certificate and its place in its zone's creation order.
    struct Row {
        var zone: String
        var sequence: Int
        var record: CertificateRecord
    }

    /// Opens the database at `path`, or creates it (0600) when there is no file.
    init(path: String) throws {
        self.path = path
        let lock = try StateFileLock(path: path)
        let verdict = lock.created ? .new : try StateDatabaseCheck.check(path, lock)
        connection = try Self.connect(path)
        if verdict == .needsRollback {
            do {
                try StateDatabaseCheck.verify(connection, path)
            } catch let failure as SQLiteConnection.Failure {
                throw StateDatabaseCheck.damaged(path, failure)
            }
        }
        self.lock = lock
        identity = (lock.info.st_dev, lock.info.st_ino)
        // The identity first, written to the main file while it is still in rollback mode: a database killed before
        // its first checkpoint still says whose it is.
        try connection.execute("""
            PRAGMA application_id = \(StateDatabaseCheck.applicationID);
            PRAGMA user_version = \(StateDatabaseCheck.schemaVersion);
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS authority (
                only INTEGER PRIMARY KEY CHECK (only = 1),
                persisted BLOB NOT NULL
            );
            CREATE TABLE IF NOT EXISTS certificates (
                zone TEXT NOT NULL,
                id TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                record BLOB NOT NULL,
                PRIMARY KEY (zone, id)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS certificates_in_order ON certificates (zone, sequence);
            CREATE TABLE IF NOT EXISTS hostname_associations (
                zone TEXT NOT NULL,
                authority TEXT NOT NULL,
                hostnames BLOB NOT NULL,
                PRIMARY KEY (zone, authority)
            ) WITHOUT ROWID;
            """)
    }

    deinit { try? close() }

    /// Writes the `-wal` into the main file (the file a user copies or backs up then holds the whole state),
    /// closes the database and releases the file to another emulator. Later changes fail; closing twice is
    /// harmless. Throws when the checkpoint fails (the state is still whole, in the main file and its `-wal`).
    func close() throws {
        guard lock != nil else { return }
        defer {
            connection.close()
            lock = nil  // after the connection: closing the lock's descriptor would drop SQLite's POSIX locks
        }
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// The CA, nil in a new database.
    func authority() throws -> CertificateAuthority.Persisted? {
        var found: CertificateAuthority.Persisted?
        try connection.query("SELECT persisted FROM authority WHERE only = 1") { row in
            found = try JSONDecoder().decode(CertificateAuthority.Persisted.self, from: Data(row.blob(0)))
        }
        return found
    }

    func saveAuthority(_ authority: CertificateAuthority.Persisted) throws {
        let encoded = try JSONEncoder().encode(authority)
        try connection.execute("INSERT OR REPLACE INTO authority (only, persisted) VALUES (1, ?)", [.blob(Array(encoded))])
    }

    /// Every certificate, each zone's in creation order.
    func certificates() throws -> [Row] {
        var rows: [Row] = []
        let decoder = JSONDecoder()
        try connection.query("SELECT zone, sequence, record FROM certificates ORDER BY zone, sequence") { row in
            rows.append(Row(zone: row.text(0), sequence: Int(row.integer(1)),
                            record: try decoder.decode(CertificateRecord.self, from: Data(row.blob(2)))))
        }
        return rows
    }

    /// Writes `rows` (new or changed certificates) in one transaction, after deleting every certificate when
    /// `clearFirst`. Nothing is written when it throws.
    func save(_ rows: [Row], clearFirst: Bool) throws {
        try checkStillTheFileOpened()
        let encoder = JSONEncoder()
        try connection.transaction {
            if clearFirst { try connection.execute("DELETE FROM certificates") }
            for row in rows {
                try connection.execute("""
                    INSERT INTO certificates (zone, id, sequence, record) VALUES (?, ?, ?, ?)
                    ON CONFLICT (zone, id) DO UPDATE SET record = excluded.record
                    """, [.text(row.zone), .text(row.record.id), .integer(Int64(row.sequence)),
                          .blob(Array(try encoder.encode(row.record)))])
            }
        }
    }

    /// One CA's hostname list in a zone (`authority` "" for the managed CA).
    struct AssociationRow {
        var zone: String
        var authority: String
        var hostnames: [String]
    }

    /// Every stored hostname list.
    func hostnameAssociations() throws -> [AssociationRow] {
        var rows: [AssociationRow] = []
        try connection.query("SELECT zone, authority, hostnames FROM hostname_associations") { row in
            rows.append(AssociationRow(zone: row.text(0), authority: row.text(1),
                                       hostnames: try JSONDecoder().decode([String].self, from: Data(row.blob(2)))))
        }
        return rows
    }

    /// Replaces one CA's list (an empty list is deleted), or with `row` nil deletes every list.
    func saveHostnameAssociation(_ row: AssociationRow?) throws {
        try checkStillTheFileOpened()
        if let row, !row.hostnames.isEmpty {
            try connection.execute(
                "INSERT OR REPLACE INTO hostname_associations (zone, authority, hostnames) VALUES (?, ?, ?)",
                [.text(row.zone), .text(row.authority), .blob(Array(try JSONEncoder().encode(row.hostnames)))])
        } else if let row {
            try connection.execute("DELETE FROM hostname_associations WHERE zone = ? AND authority = ?",
                                   [.text(row.zone), .text(row.authority)])
        } else {
            try connection.execute("DELETE FROM hostname_associations")
        }
    }

    /// A change is refused once `path` names another file or none: what is written then would be lost at the next
    /// start.
    private func checkStillTheFileOpened() throws {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_dev == identity.0, info.st_ino == identity.1 else {
            throw Self.refusal(path, "was removed or replaced while the emulator ran")
        }
    }

    private static func connect(_ path: String) throws -> SQLiteConnection {
        do {
            return try SQLiteConnection(path: path)
        } catch let failure as SQLiteConnection.Failure {
            throw refusal(path, "cannot be opened: \(failure.description)")
        }
    }

    /// A refusal of the state file, naming it.
    static func refusal(_ path: String, _ reason: String) -> EmulatorConfiguration.Invalid {
        EmulatorConfiguration.Invalid(description: "the state database \(path) \(reason)")
    }
}
