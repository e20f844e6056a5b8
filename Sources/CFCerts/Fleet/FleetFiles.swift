import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// glibc's `syncfs(2)` (GLIBC_2.14), which the Glibc module leaves out (its header declares it under _GNU_SOURCE).
@_silgen_name("syncfs")
private func linuxSyncFileSystem(_ descriptor: Int32) -> Int32

/// The file operations fleet state and outputs need: whole-or-nothing writes, bounded reads, private folders and a
/// run lock. Every failure is an `invalidArgument` error naming the path and the system's reason.
enum FleetFiles {
    /// The largest file read back (state, keys, CSRs, certificates, a CA chain).
    static let largestRead = 4 << 20

    /// Writes `bytes` to `path` whole or not at all: to `path.partial-PID-RANDOM` (created O_EXCL, 0600 or 0644),
    /// flushed, renamed over `path`, and the folder flushed. A kill mid-write leaves the old file or the new one.
    /// `durable: false` leaves out the two flushes, for a batch of files made durable at once by `syncFileSystem`.
    static func writeWhole(_ bytes: [UInt8], to path: String, secret: Bool, durable: Bool = true) throws(CFCertsError) {
        let partial = path + ".partial-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, secret ? 0o600 : 0o644)
        guard descriptor >= 0 else { throw failure("cannot write", path) }
        var remaining = bytes[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                let error = failure("cannot write", path)
                close(descriptor)
                unlink(partial)
                throw error
            }
            remaining = remaining.dropFirst(written)
        }
        // The mode is the one asked whatever the umask: a key is 0600, a certificate 0644.
        fchmod(descriptor, secret ? 0o600 : 0o644)
        guard !durable || fsync(descriptor) == 0, close(descriptor) == 0 else {
            let error = failure("cannot flush", path)
            unlink(partial)
            throw error
        }
        guard rename(partial, path) == 0 else {
            let error = failure("cannot write", path)
            unlink(partial)
            throw error
        }
        if durable { syncFolder(of: path) }
    }

    static func writeWhole(_ text: String, to path: String, secret: Bool, durable: Bool = true) throws(CFCertsError) {
        try writeWhole(Array(text.utf8), to: path, secret: secret, durable: durable)
    }

    /// Flushes every file of the filesystem that holds `folder` to disk (`syncfs`): one call for a batch of
    /// files written with `durable: false`, where a thousand `fsync`s would take seconds.
    static func syncFileSystem(of folder: String) throws(CFCertsError) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open", folder) }
        defer { close(descriptor) }
        guard linuxSyncFileSystem(descriptor) == 0 else { throw failure("cannot flush", folder) }
    }

    /// The file's bytes; nil when it does not exist. Refuses anything but a regular file, and files over
    /// `largestRead`.
    static func read(_ path: String) throws(CFCertsError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("cannot read", path)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw .invalidArgument("\(path) is not a regular file")
        }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read", path) }
            if count == 0 { return contents }
            contents += buffer[..<count]
            guard contents.count <= largestRead else { throw .invalidArgument("\(path) is larger than \(largestRead >> 20) MiB") }
        }
    }

    /// The file as UTF-8 text; nil when it does not exist.
    static func readText(_ path: String) throws(CFCertsError) -> String? {
        guard let bytes = try read(path) else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidArgument("\(path) is not UTF-8 text") }
        return text
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func remove(_ path: String) throws(CFCertsError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("cannot remove", path) }
    }

    static func move(_ from: String, to: String) throws(CFCertsError) {
        guard rename(from, to) == 0 else { throw failure("cannot move \(from) to", to) }
        syncFolder(of: to)
    }

    /// Makes `path` a folder (0700 when created) and checks that it is this user's and writable by nobody else:
    /// keys are written there and read back.
    static func preparePrivateFolder(_ path: String, what: String) throws(CFCertsError) {
        if mkdir(path, 0o700) != 0, errno != EEXIST { throw failure("cannot create \(what)", path) }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .invalidArgument("\(what) \(path) is not a folder")
        }
        guard info.st_uid == geteuid() else {
            throw .invalidArgument("\(what) \(path) is owned by uid \(info.st_uid), not by this user (uid \(geteuid())): keys are kept there")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw .invalidArgument("\(what) \(path) is writable by others (mode \(String(info.st_mode & 0o777, radix: 8))): keys are kept there; chmod go-w it")
        }
    }

    /// Makes `path` a folder if it is missing (0755; outputs may be read by a service of another user).
    static func prepareFolder(_ path: String, what: String) throws(CFCertsError) {
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw failure("cannot create \(what)", path) }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .invalidArgument("\(what) \(path) is not a folder")
        }
    }

    /// Holds an `fcntl` write lock on `path` (created 0600) until `release()` or the end of the process; `inUse`
    /// at once when another process or another lock of this process holds it.
    final class Lock: Sendable {
        /// The locked file's descriptor; -1 once released.
        private let descriptor: NIOLockedValueBox<Int32>

        init(path: String, holder: String) throws(CFCertsError) {
            let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw FleetFiles.failure("cannot open", path) }
            var whole = flock()
            whole.l_type = Int16(F_WRLCK)
            whole.l_whence = Int16(SEEK_SET)
            // An open-file-description lock: a second lock in this process conflicts too.
            guard fcntl(descriptor, BulkJournal.setOpenFileLock, &whole) == 0 else {
                let reason = errno
                close(descriptor)
                if reason == EAGAIN || reason == EACCES {
                    throw CFCertsError(kind: .inUse, message: "\(holder) is in use by another run: wait for it to end")
                }
                throw .invalidArgument("cannot lock \(path): \(String(cString: strerror(reason)))")
            }
            self.descriptor = NIOLockedValueBox(descriptor)
        }

        func release() {
            descriptor.withLockedValue { descriptor in
                if descriptor >= 0 { close(descriptor) }
                descriptor = -1
            }
        }

        deinit { release() }
    }

    private static func syncFolder(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let descriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    static func failure(_ what: String, _ path: String) -> CFCertsError {
        .invalidArgument("\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
