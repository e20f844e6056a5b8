import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `--state` file: the CA and every certificate, rewritten atomically after each change
/// (write a new temporary file, fsync it, rename it over the old one, fsync the directory), so a kill at any
/// moment leaves either the old or the new state, never a torn one. The file is mode 0600.
struct StateFile: Sendable {
    struct Contents: Codable, Sendable {
        var version = 1
        var certificateAuthority: CertificateAuthority.Persisted
        /// Zone id -> certificates in creation order.
        var zones: [String: [CertificateRecord]]
    }

    let path: String

    func load() throws -> Contents? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(Contents.self, from: data)
    }

    /// The temporary is created anew under a name no one can predict (O_EXCL: never an existing file;
    /// O_NOFOLLOW: never through a planted link), readable by the owner only: it holds the CA's private key.
    func save(_ contents: Contents) throws {
        let data = try JSONEncoder().encode(contents)
        let suffix = (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        let temporary = "\(path).tmp-\(getpid())-\(suffix)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateFileError.system("open \(temporary)", errno) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        var written = 0
        let result: Int32 = data.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return fsync(fd) == 0 ? 0 : errno
        }
        close(fd)
        guard result == 0 else { throw StateFileError.system("write \(temporary)", result) }
        guard rename(temporary, path) == 0 else { throw StateFileError.system("rename to \(path)", errno) }
        renamed = true
        let directory = (path as NSString).deletingLastPathComponent
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }
}

enum StateFileError: Error, CustomStringConvertible {
    case system(String, Int32)

    var description: String {
        switch self {
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        }
    }
}
