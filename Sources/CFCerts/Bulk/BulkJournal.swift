import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The record of one bulk run, which makes it resumable: a header naming the run, then one JSON line before each
/// item's request (`sent`, with when) and one after (`done` with the certificate's id, or `failed`), appended and
/// flushed to disk (`fsync`) before the run goes on, and `finished` once every item is done. The file is created
/// 0600 and holds no secret: ids, CSR digests, times, error kinds.
///
/// The header names the run: its operation, zone, what was asked (a digest of the items, or the caller's own
/// words for a selection such as `revoke --all`'s filters) and when it started. The same run started again resumes
/// it: what is `done` is skipped, what was `sent` but never answered is settled before it is sent again (see
/// `BulkRunner`). A journal of a finished run, of another operation, zone or request is refused: a record of one
/// run never turns a later run's work into `already_done`. `BulkJournalPolicy.continuing` is the exception for
/// items never reused (`renew --due`'s fresh CSRs).
///
/// The file is locked (an open-file-description `fcntl` lock) from the moment it is opened until the run ends:
/// a second run on it, in this process or another, is refused at once with `inUse`. A process killed mid-write
/// leaves at most a torn last line, which is ignored.
final class BulkJournal: Sendable {
    /// What earlier runs recorded of an item.
    enum Earlier: Sendable, Equatable {
        /// A request was sent and no answer recorded as done: it may have been carried out.
        case unsettled(Sending)
        case done(certificateID: String?)
    }

    /// When an item's unsettled requests were sent.
    struct Sending: Sendable, Equatable {
        /// The first time the item was sent (wall clock); nil in a journal that did not record it.
        var firstSentAt: Date?
        /// When the last request's own timeout ran out: no answer to it can arrive later. Nil when unknown.
        var answerBy: Date?
    }

    let path: String
    /// The last record of each item from earlier runs.
    let earlier: [String: Earlier]
    /// The descriptor, -1 once the run is over (the lock is released with it).
    private let descriptor: NIOLockedValueBox<Int32>

    private struct Header: Codable {
        var journal = "cfcerts-bulk"
        var version = 2
        var operation: String
        var zone: String
        /// What the run was asked: "items:<digest of the items' keys>", or "request:<the caller's words>".
        var asked: String?
        var items: Int?
        var startedAt: String?

        enum CodingKeys: String, CodingKey {
            case journal, version, operation, zone, asked, items
            case startedAt = "started_at"
        }
    }

    private struct Record: Codable {
        var key: String?
        var event: String
        var id: String?
        var error: String?
        var at: String?
        var answerBy: String?
        /// On `failed`: this run's request was answered, and the answer says it was not carried out.
        var answered: Bool?

        enum CodingKeys: String, CodingKey {
            case key, event, id, error, at, answered
            case answerBy = "answer_by"
        }
    }

    /// The largest journal read back (about two million items).
    private static let largestFile = 512 << 20
    /// `F_OFD_SETLK` (Linux): a lock owned by this open file, so two runs in one process exclude each other too
    /// and closing another descriptor of the file does not drop it (as it would a classic `F_SETLK` lock).
    static let setOpenFileLock: Int32 = 37

    /// Opens (or creates) the journal of a run of `keys`, locks it, and reads what earlier runs recorded.
    ///
    /// - Parameter request: what was asked, in the caller's words, when it is not the items themselves.
    /// - Throws: `inUse` when another run holds the journal; `invalidArgument` when it cannot be opened, is not a
    ///   journal, or records another run or a finished one.
    init(path: String, operation: BulkOperation, zoneID: String, keys: [String], request: String?,
         policy: BulkJournalPolicy) throws(CFCertsError) {
        self.path = path
        let descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw Self.failure("cannot open", path) }
        let asked = request.map { "request:" + $0 } ?? "items:" + SHA256Hex.of(keys.sorted().joined(separator: "\n"))
        let header = Header(operation: operation.rawValue, zone: zoneID, asked: asked, items: keys.count,
                            startedAt: Self.timestamp(Date()))
        do throws(CFCertsError) {
            var status = stat()
            guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
                throw CFCertsError.invalidArgument("the journal \(path) is not a regular file")
            }
            try Self.lock(descriptor, path: path)
            guard Int(status.st_size) <= Self.largestFile else {
                throw CFCertsError.invalidArgument("the journal \(path) is larger than \(Self.largestFile >> 20) MiB")
            }
            let contents = try Self.readAll(descriptor, path: path)
            var replayed: Replayed?
            if !contents.isEmpty { replayed = try Self.replay(contents, path: path) }
            if let journal = replayed {
                try Self.check(journal, against: header, keys: keys, policy: policy, path: path)
                if policy == .continuing, journal.isSettled, !keys.contains(where: { journal.earlier[$0] != nil }) {
                    // An earlier run's record, none of whose items is this run's: this run starts it afresh.
                    guard ftruncate(descriptor, 0) == 0 else { throw Self.failure("cannot empty", path) }
                    replayed = nil
                }
            }
            if let journal = replayed {
                earlier = journal.earlier
                // A torn last line (the writer was killed): the next record starts on a line of its own.
                if contents.last != UInt8(ascii: "\n") { try Self.append([UInt8(ascii: "\n")], to: descriptor, path: path) }
            } else {
                try Self.append(Self.line(header), to: descriptor, path: path)
                earlier = [:]
            }
        } catch {
            close(descriptor)
            throw error
        }
        self.descriptor = NIOLockedValueBox(descriptor)
    }

    deinit {
        descriptor.withLockedValue { if $0 >= 0 { close($0) } }
    }

    func recordSent(_ key: String, at sentAt: Date, answerBy: Date) throws(CFCertsError) {
        try record(Record(key: key, event: "sent", at: Self.timestamp(sentAt), answerBy: Self.timestamp(answerBy)))
    }

    func recordDone(_ key: String, certificateID: String?) throws(CFCertsError) {
        try record(Record(key: key, event: "done", id: certificateID))
    }

    /// `answered`: the item's request of this run got an answer saying it was not carried out (nothing of it can
    /// still be in flight), as opposed to no request, or one whose outcome is unknown.
    func recordFailed(_ key: String, error: CFCertsError, answered: Bool) throws(CFCertsError) {
        try record(Record(key: key, event: "failed", error: "\(error.kind)", at: Self.timestamp(Date()),
                          answered: answered ? true : nil))
    }

    /// Ends the run: records it `finished` when every item is done (a later run is then refused), and releases the
    /// journal for the next run.
    func end(everyItemDone: Bool) {
        if everyItemDone { try? record(Record(event: "finished")) }
        descriptor.withLockedValue { descriptor in
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }

    private func record(_ record: Record) throws(CFCertsError) {
        let bytes = Self.line(record)
        let written = descriptor.withLockedValue { descriptor in
            Result { () throws(CFCertsError) in
                guard descriptor >= 0 else { throw .invalidArgument("the journal \(path) is closed: the run is over") }
                try Self.append(bytes, to: descriptor, path: path)
            }
        }
        try written.get()
    }

    /// A journal as read back.
    private struct Replayed {
        var header: Header
        var earlier: [String: Earlier] = [:]
        var finished = false
        /// No item is left sent and unanswered.
        var isSettled: Bool { !earlier.values.contains { if case .unsettled = $0 { true } else { false } } }
    }

    /// Refuses a journal that is not of this run (see the type's rules).
    private static func check(_ journal: Replayed, against expected: Header, keys: [String], policy: BulkJournalPolicy,
                              path: String) throws(CFCertsError) {
        let header = journal.header
        guard header.operation == expected.operation, header.zone == expected.zone else {
            throw .invalidArgument("the journal \(path) is of a \(header.operation) run in zone \(header.zone), not of this \(expected.operation) in zone \(expected.zone): pass a new journal")
        }
        guard policy == .oneRun else { return }
        let started = header.startedAt.map { " started \($0)" } ?? ""
        guard header.version >= 2, let asked = header.asked else {
            throw .invalidArgument("the journal \(path) was written by an earlier cfcerts and does not say which run it records: pass a new journal")
        }
        guard asked == expected.asked else {
            throw .invalidArgument("the journal \(path) records another run\(started) (of other items, or another selection): pass a new journal, or the same items and selection to resume it")
        }
        if journal.finished || keys.allSatisfy({ if case .done? = journal.earlier[$0] { true } else { false } }) {
            throw .invalidArgument("the journal \(path) records a finished run\(started): every item is done; pass a new journal for a new run")
        }
    }

    /// The header and the last record of each item.
    private static func replay(_ contents: [UInt8], path: String) throws(CFCertsError) -> Replayed {
        let lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        let decoder = JSONDecoder()
        guard let first = lines.first, let header = try? decoder.decode(Header.self, from: Data(first)),
              header.journal == "cfcerts-bulk"
        else { throw .invalidArgument("\(path) is not a cfcerts journal: pass a new file, or the journal of this run") }
        var journal = Replayed(header: header)
        for line in lines.dropFirst() {
            // Only the last line can be torn; any unreadable line is skipped (it records nothing that matters more
            // than the lines around it).
            guard let record = try? decoder.decode(Record.self, from: Data(line)) else { continue }
            if record.event == "finished" { journal.finished = true }
            guard let key = record.key else { continue }
            switch record.event {
            case "sent":
                let sentAt = record.at.flatMap(ClientCertificate.parseDate)
                let answerBy = record.answerBy.flatMap(ClientCertificate.parseDate)
                if case .unsettled(var sending)? = journal.earlier[key] {
                    // Sent again after a failure: any of its requests may be the one carried out.
                    sending.answerBy = [sending.answerBy, answerBy].compactMap { $0 }.max()
                    journal.earlier[key] = .unsettled(sending)
                } else {
                    journal.earlier[key] = .unsettled(Sending(firstSentAt: sentAt, answerBy: answerBy))
                }
            case "done": journal.earlier[key] = .done(certificateID: record.id)
            case "failed":
                // Left unsettled, settled first like "sent"; an answered request is no longer in flight.
                if record.answered == true, case .unsettled(var sending)? = journal.earlier[key],
                   let answeredAt = record.at.flatMap(ClientCertificate.parseDate) {
                    sending.answerBy = answeredAt
                    journal.earlier[key] = .unsettled(sending)
                }
            default: break
            }
        }
        return journal
    }

    private static func lock(_ descriptor: Int32, path: String) throws(CFCertsError) {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0  // the whole file, however long it grows
        guard fcntl(descriptor, setOpenFileLock, &lock) == 0 else {
            if errno == EAGAIN || errno == EACCES {
                throw CFCertsError(kind: .inUse, message: "the journal \(path) is in use by another run: wait for it to end, or pass another journal")
            }
            throw failure("cannot lock", path)
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
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
