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

    /// The file's contents; nil when there is none. Refuses a file someone else could have planted or read: it
    /// holds the CA key the gateway trusts, so it must belong to the user running the emulator, be a regular file
    /// (not a link), and be readable and writable by its owner only.
    func load() throws -> Contents? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw EmulatorConfiguration.Invalid(description: "the state file \(path) is not a regular file (a link, a folder...)")
        }
        guard info.st_uid == geteuid() else {
            throw EmulatorConfiguration.Invalid(description: "the state file \(path) belongs to user \(info.st_uid), not to the user running the emulator (\(geteuid())); it holds the CA key, so only a file of your own is loaded")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw EmulatorConfiguration.Invalid(description: "the state file \(path) is readable or writable by others (mode \(String(info.st_mode & 0o777, radix: 8))); it holds the CA key: chmod 600 it, or start without it")
        }
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
