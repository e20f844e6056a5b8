import Foundation
import Synchronization

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

    /// The log keeps the most recent entries only, so a long-running emulator does not grow without bound.
    static let capacity = 100_000
    private let entries = Mutex<[Entry]>([])

    func append(_ entry: Entry) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeFirst(entries.count - Self.capacity + 1) }
            entries.append(entry)
        }
    }

    var all: [Entry] { entries.withLock { $0 } }

    func clear() { entries.withLock { $0.removeAll() } }
}
