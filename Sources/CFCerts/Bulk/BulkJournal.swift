import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The record that makes a bulk run resumable: one JSON line before each item's request (`sent`) and one after
/// (`done` with the certificate's id, or `failed`), appended and flushed to disk (`fsync`) before the run goes on.
/// The file is created 0600 and holds no secret: ids, CSR digests, error kinds.
///
/// A run started again with the same journal skips what is `done`, and settles what was `sent` but never answered
/// before sending it again (see `BulkRunner`). A process killed mid-write leaves at most a torn last line, which is
/// ignored. The first line names the operation and the zone: a journal of another run is refused.
final class BulkJournal: Sendable {
    /// What earlier runs recorded of an item.
    enum Earlier: Sendable, Equatable {
        /// A request was sent and no answer recorded: it may have been carried out.
        case sent
        case done(certificateID: String?)
    }

    let path: String
    /// The last record of each item from earlier runs.
    let earlier: [String: Earlier]
    private let descriptor: Int32
    /// One line at a time, whole.
    private let writing = NIOLock()

    private struct Header: Codable {
        var journal = "cfcerts-bulk"
        var version = 1
        var operation: String
        var zone: String
    }

    private struct Record: Codable {
        var key: String
        var event: String
        var id: String?
        var error: String?
    }

    /// The largest journal read back (about two million items).
    private static let largestFile = 512 << 20

    init(path: String, operation: BulkOperation, zoneID: String) throws(CFCertsError) {
        self.path = path
        let descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw Self.failure("cannot open", path) }
        do throws(CFCertsError) {
            var status = stat()
            guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
                throw CFCertsError.invalidArgument("the journal \(path) is not a regular file")
            }
            guard Int(status.st_size) <= Self.largestFile else {
                throw CFCertsError.invalidArgument("the journal \(path) is larger than \(Self.largestFile >> 20) MiB")
            }
            let contents = try Self.readAll(descriptor, path: path)
            let header = Header(operation: operation.rawValue, zone: zoneID)
            if contents.isEmpty {
                try Self.append(Self.line(header), to: descriptor, path: path)
                earlier = [:]
            } else {
                earlier = try Self.replay(contents, expecting: header, path: path)
                // A torn last line (the writer was killed): the next record starts on a line of its own.
                if contents.last != UInt8(ascii: "\n") { try Self.append([UInt8(ascii: "\n")], to: descriptor, path: path) }
            }
        } catch {
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func recordSent(_ key: String) throws(CFCertsError) {
        try record(Record(key: key, event: "sent"))
    }

    func recordDone(_ key: String, certificateID: String?) throws(CFCertsError) {
        try record(Record(key: key, event: "done", id: certificateID))
    }

    func recordFailed(_ key: String, error: CFCertsError) throws(CFCertsError) {
        try record(Record(key: key, event: "failed", error: "\(error.kind)"))
    }

    private func record(_ record: Record) throws(CFCertsError) {
        let bytes = Self.line(record)
        let written = writing.withLock {
            Result { () throws(CFCertsError) in try Self.append(bytes, to: descriptor, path: path) }
        }
        try written.get()
    }

    /// The last record of each item; the header must be `expected`'s.
    private static func replay(_ contents: [UInt8], expecting expected: Header, path: String) throws(CFCertsError) -> [String: Earlier] {
        let lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        let decoder = JSONDecoder()
        guard let first = lines.first, let header = try? decoder.decode(Header.self, from: Data(first)),
              header.journal == expected.journal
        else { throw .invalidArgument("\(path) is not a cfcerts journal: pass a new file, or the journal of this run") }
        guard header.operation == expected.operation, header.zone == expected.zone else {
            throw .invalidArgument("the journal \(path) is of a \(header.operation) run in zone \(header.zone), not of this \(expected.operation) in zone \(expected.zone)")
        }
        var earlier: [String: Earlier] = [:]
        for line in lines.dropFirst() {
            // Only the last line can be torn; any unreadable line is skipped (it records nothing that matters more
            // than the lines around it).
            guard let record = try? decoder.decode(Record.self, from: Data(line)) else { continue }
            switch record.event {
            case "sent": if earlier[record.key] == nil { earlier[record.key] = .sent }
            case "done": earlier[record.key] = .done(certificateID: record.id)
            default: break  // "failed": sent again on resume, settled first like "sent"
            }
        }
        return earlier
    }

    private static func line(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data()) + [UInt8(ascii: "\n")]
    }

    private static func append(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(CFCertsError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw failure("cannot write", path) }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw failure("cannot flush", path) }
    }

    private static func readAll(_ descriptor: Int32, path: String) throws(CFCertsError) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read", path) }
            if count == 0 { return contents }
            contents.append(contentsOf: chunk[0..<count])
            offset += off_t(count)
            guard contents.count <= largestFile else { throw .invalidArgument("the journal \(path) is too large") }
        }
    }

    private static func failure(_ what: String, _ path: String) -> CFCertsError {
        .invalidArgument("\(what) the journal \(path): \(String(cString: strerror(errno)))")
    }
}
