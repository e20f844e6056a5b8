import CSQLite3

/// One connection to an SQLite database, used from one thread at a time (the store calls it under its lock):
/// statements with bound text, integer and blob parameters, rows read as they step. Just what `StateDatabase` needs.
final class SQLiteConnection {
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let description: String
    }

    /// Nil once closed.
    private var handle: OpaquePointer?

    /// Opens `path`, which must exist, read-write; or `readOnly` (SQLite then never writes to the main file or the
    /// `-wal`, and never checkpoints, though it replays the `-wal` into the `-shm`, creating both if need be).
    /// Extended result codes are on.
    init(path: String, readOnly: Bool = false) throws {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW | (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE)
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close(opened)
            throw Failure(code: code, description: message)
        }
        handle = opened
        sqlite3_extended_result_codes(opened, 1)
        sqlite3_busy_timeout(opened, 5_000)
    }

    /// Closes the connection (the last one on a WAL database also checkpoints it and removes the `-wal` and
    /// `-shm`); every later call fails. Closing twice is harmless.
    func close() {
        sqlite3_close_v2(handle)
        handle = nil
    }

    deinit { close() }

    /// Values bound to a statement's `?` parameters, in order.
    enum Value {
        case text(String)
        case integer(Int64)
        case blob([UInt8])
    }

    /// Runs one statement (or several, without parameters).
    func execute(_ sql: String, _ values: [Value] = []) throws {
        if values.isEmpty {
            guard let handle else { throw Self.closed }
            let code = sqlite3_exec(handle, sql, nil, nil, nil)
            guard code == SQLITE_OK else { throw failure(code) }
            return
        }
        try query(sql, values) { _ in }
    }

    /// Runs a query and hands each row to `row` (read its columns with `Row`).
    func query(_ sql: String, _ values: [Value] = [], row: (Row) throws -> Void) throws {
        guard let handle else { throw Self.closed }
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &prepared, nil)
        guard code == SQLITE_OK, let prepared else { throw failure(code) }
        defer { sqlite3_finalize(prepared) }
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            let bound: Int32 = switch value {
            case .text(let text): sqlite3_bind_text(prepared, position, text, -1, Self.transient)
            case .integer(let number): sqlite3_bind_int64(prepared, position, number)
            case .blob(let bytes):
                bytes.withUnsafeBytes { sqlite3_bind_blob(prepared, position, $0.baseAddress, Int32(clamping: $0.count), Self.transient) }
            }
            guard bound == SQLITE_OK else { throw failure(bound) }
        }
        while true {
            let stepped = sqlite3_step(prepared)
            if stepped == SQLITE_DONE { return }
            guard stepped == SQLITE_ROW else { throw failure(stepped) }
            try row(Row(statement: prepared))
        }
    }

    /// `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction(_ body: () throws -> Void) throws {
        try execute("BEGIN IMMEDIATE")
        do {
            try body()
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    struct Row {
        fileprivate let statement: OpaquePointer

        func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

        func text(_ column: Int32) -> String {
            guard let bytes = sqlite3_column_text(statement, column) else { return "" }
            return String(cString: bytes)
        }

        func blob(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: bytes, count: count))
        }
    }

    private func failure(_ code: Int32) -> Failure {
        Failure(code: code, description: handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code)))
    }

    private static let closed = Failure(code: SQLITE_MISUSE, description: "the database is closed")

    /// SQLITE_TRANSIENT: SQLite copies the bound value before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
