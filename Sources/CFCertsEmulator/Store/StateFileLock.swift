#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `--state` file, opened (or created 0600) and exclusively locked for as long as this value lives: a second
/// emulator on the same file is refused at once, instead of serving a state that drifts apart from this one's.
///
/// The lock is `flock(2)` on the file itself: no extra file, released by the kernel when the process dies (so a
/// `kill -9` leaves nothing to clean up), and separate from SQLite's own POSIX locks. Closing any descriptor of
/// the file drops this process's POSIX locks on it, so `StateDatabase` closes its SQLite connection before this.
final class StateFileLock {
    private let descriptor: Int32
    /// The locked file's `fstat`: its (device, inode) names the file the emulator works on.
    let info: stat
    /// True when this call created the file (it is empty: a new database).
    let created: Bool

    /// Opens `path` (never through a link, never blocking on a FIFO), checks it may hold the CA key, and locks it.
    init(path: String) throws {
        var created = false
        var descriptor = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if descriptor < 0, errno == ENOENT {
            // O_EXCL and O_NOFOLLOW: never a planted file or link. Another emulator may create it first (EEXIST):
            // then it is opened as an existing file, and its lock decides.
            descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                created = true
            } else if errno == EEXIST {
                descriptor = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            }
        }
        guard descriptor >= 0 else {
            let reason = errno == ELOOP
                ? "is a symbolic link; it is never followed (it could point at any file)"
                : "cannot be opened or created: \(String(cString: strerror(errno)))"
            throw StateDatabase.refusal(path, reason)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw StateDatabase.refusal(path, "cannot be examined: \(reason)")
        }
        do {
            try Self.checkTrust(path, info)
        } catch {
            close(descriptor)
            throw error
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK
                ? "is in use by another cfcerts-emulator (it holds a lock on the file); stop that one, or pass another --state path"
                : "cannot be locked: \(String(cString: strerror(errno)))"
            close(descriptor)
            throw StateDatabase.refusal(path, reason)
        }
        self.descriptor = descriptor
        self.info = info
        self.created = created
    }

    deinit { close(descriptor) }

    /// The first `count` bytes of the file (fewer when it is shorter), read without SQLite.
    func prefix(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, 0) }
        return Array(bytes.prefix(max(0, read)))
    }

    /// A file of someone else's, or that others can read, is never loaded: it holds the CA key.
    private static func checkTrust(_ path: String, _ info: stat) throws {
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StateDatabase.refusal(path, "is not a regular file (a folder, a device...)")
        }
        guard info.st_uid == geteuid() else {
            throw StateDatabase.refusal(path, "belongs to user \(info.st_uid), not to the user running the emulator (\(geteuid())); it holds the CA key, so only a file of your own is loaded")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw StateDatabase.refusal(path, "is readable or writable by others (mode \(String(info.st_mode & 0o777, radix: 8))); it holds the CA key: chmod 600 it, or start without it")
        }
    }
}
