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
/// the CA key the gateway trusts); SQLite's `-wal` and `-shm` files take its mode. A file that is not this
/// emulator's database (another program's, a damaged one, the JSON state of earlier versions) is refused with a
/// message naming it, and left untouched.
///
/// Not thread-safe: `CertificateStore` calls it under its lock only.
final class StateDatabase: @unchecked Sendable {
    let path: String
    private let connection: SQLiteConnection
    /// The file opened (device, inode): a change is refused once `path` names another file or none, since what
    /// is written then would be lost at the next start.
    private let identity: (dev_t, ino_t)

    /// `PRAGMA application_id` of our databases ("cfce"), and the schema version in `user_version`.
    private static let applicationID: Int64 = 0x6366_6365
    private static let schemaVersion: Int64 = 1

    /// One stored certificate and its place in its zone's creation order.
    struct Row {
        var zone: String
        var sequence: Int
        var record: CertificateRecord
    }

    /// Opens the database at `path`, or creates it (0600) when there is no file.
    init(path: String) throws {
        self.path = path
        var info = stat()
        if lstat(path, &info) == 0 {
            try Self.checkOwnership(path, info)
            try Self.checkIdentity(path)
            connection = try Self.connect(path)
        } else {
            // Created 0600 before SQLite opens it; O_EXCL and O_NOFOLLOW: never a planted file or link.
            let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw Self.refusal(path, "cannot be created: \(String(cString: strerror(errno)))") }
            close(descriptor)
            connection = try Self.connect(path)
        }
        guard lstat(path, &info) == 0 else { throw Self.refusal(path, "disappeared while it was opened") }
        identity = (info.st_dev, info.st_ino)
        // The identity first, written to the main file while it is still in rollback mode: a database killed before
        // its first checkpoint still says whose it is.
        try connection.execute("""
            PRAGMA application_id = \(Self.applicationID);
            PRAGMA user_version = \(Self.schemaVersion);
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
            """)
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
        var info = stat()
        guard lstat(path, &info) == 0, info.st_dev == identity.0, info.st_ino == identity.1 else {
            throw Self.refusal(path, "was removed or replaced while the emulator ran")
        }
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

    private static func connect(_ path: String) throws -> SQLiteConnection {
        do {
            return try SQLiteConnection(path: path)
        } catch let failure as SQLiteConnection.Failure {
            throw refusal(path, "cannot be opened: \(failure.description)")
        }
    }

    /// A file of someone else's, or that others can read, is never loaded: it holds the CA key.
    private static func checkOwnership(_ path: String, _ info: stat) throws {
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw refusal(path, "is not a regular file (a link, a folder...)")
        }
        guard info.st_uid == geteuid() else {
            throw refusal(path, "belongs to user \(info.st_uid), not to the user running the emulator (\(geteuid())); it holds the CA key, so only a file of your own is loaded")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw refusal(path, "is readable or writable by others (mode \(String(info.st_mode & 0o777, radix: 8))); it holds the CA key: chmod 600 it, or start without it")
        }
    }

    /// Reads only, without SQLite's side files (nothing changes next to a file that turns out not to be ours): an
    /// empty file is a new database; anything else must carry our application id and a schema version we read,
    /// and pass SQLite's quick check (a damaged database is refused before anything is written to it).
    private static func checkIdentity(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0, info.st_size == 0 { return }
        if let first = FileManager.default.contents(atPath: path)?.prefix(1), first == Data("{".utf8) {
            throw refusal(path, "is the JSON state file of an earlier cfcerts-emulator, which this one does not read; start with a new --state path (the certificates in it are test data)")
        }
        var application: Int64 = 0, version: Int64 = 0
        do {
            let reader = try SQLiteConnection(path: path, readOnlyImmutable: true)
            try reader.query("PRAGMA application_id") { application = $0.integer(0) }
            try reader.query("PRAGMA user_version") { version = $0.integer(0) }
            guard application == applicationID else {
                throw refusal(path, "is an SQLite database of another program (application id \(application)); it was left untouched: pass another --state path")
            }
            guard version == schemaVersion else {
                throw refusal(path, "has schema version \(version); this emulator reads version \(schemaVersion); it was left untouched")
            }
            // The main file as of the last checkpoint; frames in a -wal file are checked by SQLite's own checksums.
            var verdict: [String] = []
            try reader.query("PRAGMA quick_check") { verdict.append($0.text(0)) }
            guard verdict == ["ok"] else {
                throw refusal(path, "is damaged (\(verdict.prefix(3).joined(separator: "; "))); it was left untouched: move it away, or pass another --state path")
            }
        } catch let failure as SQLiteConnection.Failure {
            throw refusal(path, "is not an SQLite database, or is damaged (\(failure.description)); it was left untouched: move it away, or pass another --state path")
        }
    }

    private static func refusal(_ path: String, _ reason: String) -> EmulatorConfiguration.Invalid {
        EmulatorConfiguration.Invalid(description: "the state database \(path) \(reason)")
    }
}
