import CSQLite3

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether an existing `--state` file may be opened for writing: it must be this emulator's database, whole once
/// SQLite has recovered it. A crash is never taken for damage: after a `kill -9` (even in the middle of a
/// checkpoint, when the main file is only made whole by replaying the `-wal`) the database is checked as SQLite
/// will serve it, with its `-wal` replayed. A file that fails is refused with a message naming it, and left as it
/// was: not a byte written to it, no `-wal` or `-shm` left beside it that was not there before.
enum StateDatabaseCheck {
    /// What the check found out.
    enum Verdict {
        /// An empty file: a new database.
        case new
        /// This emulator's database, whole once recovered.
        case whole
        /// This emulator's database with a hot rollback journal (a kill in the first transaction of a new file,
        /// before the emulator served anything): only a writer can roll it back, so the connection that will
        /// write checks it (`verify`) before anything else.
        case needsRollback
    }

    /// `PRAGMA application_id` of our databases ("cfce"), and the schema version in `user_version`.
    static let applicationID: Int64 = 0x6366_6365
    static let schemaVersion: Int64 = 1

    /// Checks the locked `file` at `path`: first its header, read without SQLite (a file that is not ours is never
    /// opened by SQLite, which creates a `-wal` and `-shm` beside a WAL database even to read it); then the
    /// recovered database, through a read-only connection (it replays the `-wal` into the `-shm` only, and never
    /// checkpoints).
    static func check(_ path: String, _ file: StateFileLock) throws -> Verdict {
        let header = file.prefix(100)
        if header.isEmpty { return .new }
        if header.first == UInt8(ascii: "{") {
            throw StateDatabase.refusal(path, "is the JSON state file of an earlier cfcerts-emulator, which this one does not read; start with a new --state path (the certificates in it are test data)")
        }
        guard header.count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw StateDatabase.refusal(path, "is not an SQLite database (its header is not SQLite's); it was left untouched: move it away, or pass another --state path")
        }
        try checkIdentity(path, application: bigEndian(header[68..<72]), version: bigEndian(header[60..<64]))
        let sideFiles = ["-wal", "-shm"].filter { access(path + $0, F_OK) != 0 }
        do {
            let reader = try SQLiteConnection(path: path, readOnly: true)
            defer { reader.close() }
            try verify(reader, path)
            return .whole
        } catch let failure as SQLiteConnection.Failure where failure.code == readOnlyRollback {
            return .needsRollback
        } catch {
            // Refused: the side files the check made go too (a read-only connection writes nothing in them).
            for suffix in sideFiles { unlink(path + suffix) }
            throw (error as? SQLiteConnection.Failure).map { damaged(path, $0) } ?? error
        }
    }

    /// Checks the identity and integrity of the database `connection` sees (recovered: `-wal` replayed, or
    /// rolled back). Throws a refusal, or SQLite's failure to read it.
    static func verify(_ connection: SQLiteConnection, _ path: String) throws {
        var application: Int64 = 0, version: Int64 = 0, verdict: [String] = []
        try connection.query("PRAGMA application_id") { application = $0.integer(0) }
        try connection.query("PRAGMA user_version") { version = $0.integer(0) }
        try checkIdentity(path, application: application, version: version)
        try connection.query("PRAGMA quick_check") { verdict.append($0.text(0)) }
        guard verdict == ["ok"] else {
            throw StateDatabase.refusal(path, "is damaged (\(verdict.prefix(3).joined(separator: "; "))); it was left untouched: move it away, or pass another --state path")
        }
    }

    /// The refusal of a file SQLite could not read.
    static func damaged(_ path: String, _ failure: SQLiteConnection.Failure) -> EmulatorConfiguration.Invalid {
        StateDatabase.refusal(path, "is not an SQLite database, or is damaged (\(failure.description)); it was left untouched: move it away, or pass another --state path")
    }

    private static func checkIdentity(_ path: String, application: Int64, version: Int64) throws {
        guard application == applicationID else {
            throw StateDatabase.refusal(path, "is an SQLite database of another program (application id \(application)); it was left untouched: pass another --state path")
        }
        guard version == schemaVersion else {
            throw StateDatabase.refusal(path, "has schema version \(version); this emulator reads version \(schemaVersion); it was left untouched")
        }
    }

    /// SQLITE_READONLY_ROLLBACK (a macro Swift does not import): a read-only connection met a hot rollback journal.
    private static let readOnlyRollback = SQLITE_READONLY | 3 << 8

    /// A 4-byte big-endian field of SQLite's header.
    private static func bigEndian(_ bytes: ArraySlice<UInt8>) -> Int64 {
        Int64(Int32(bitPattern: bytes.reduce(0) { $0 << 8 | UInt32($1) }))
    }
}
