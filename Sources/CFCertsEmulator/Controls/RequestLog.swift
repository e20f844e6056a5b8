import Foundation
import NIOConcurrencyHelpers

/// What the emulator received under `/client/v4`, so tests can count requests and retries.
/// Credentials are reduced to their scheme: no secret is ever recorded.
public final class RequestLog: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var method: String
        public var path: String
        public var query: String
        /// `bearer`, `key`, `service_key` or `none`.
        public var auth: String
        public var status: Int
        public var userAgent: String
        public var time: String

        enum CodingKeys: String, CodingKey {
            case method, path, query, auth, status, time
            case userAgent = "user_agent"
        }
    }

    /// The log keeps the most recent entries only, at most this many and this many bytes, so a long-running
    /// emulator does not grow without bound whatever its clients send.
    static let capacity = 100_000
    static let capacityBytes = 16 << 20
    /// Longer paths, queries and user agents are cut to this many bytes in the log.
    static let maxFieldBytes = 1024

    private struct Entries {
        var items: [Entry] = []
        /// Entries before this index are evicted (compacted away once they are half the array).
        var start = 0
        var bytes = 0

        var live: ArraySlice<Entry> { items[start...] }

        mutating func append(_ entry: Entry) {
            items.append(entry)
            bytes += entry.size
            while items.count - start > RequestLog.capacity || bytes > RequestLog.capacityBytes {
                bytes -= items[start].size
                start += 1
            }
            if start > items.count / 2 {
                items.removeFirst(start)
                start = 0
            }
        }
    }

    private let entries = NIOLockedValueBox(Entries())

    func append(_ entry: Entry) {
        var entry = entry
        entry.path = Self.cut(entry.path)
        entry.query = Self.cut(entry.query)
        entry.userAgent = Self.cut(entry.userAgent)
        entries.withLockedValue { $0.append(entry) }
    }

    var all: [Entry] { entries.withLockedValue { Array($0.live) } }

    func clear() { entries.withLockedValue { $0 = Entries() } }

    private static func cut(_ text: String) -> String {
        guard text.utf8.count > maxFieldBytes else { return text }
        return String(decoding: text.utf8.prefix(maxFieldBytes), as: UTF8.self)
    }
}

extension RequestLog.Entry {
    /// Roughly what the entry costs in memory.
    var size: Int { 64 + method.utf8.count + path.utf8.count + query.utf8.count + auth.utf8.count + userAgent.utf8.count + time.utf8.count }
}
