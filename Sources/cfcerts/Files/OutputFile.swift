#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Writes the files the CLI produces: never over an existing file without `force`, never through a symbolic link;
/// a secret (a private key) is created 0600 and stays 0600 even when it replaces a file.
enum OutputFile {
    static func write(_ text: String, to path: String, secret: Bool, force: Bool) throws {
        try write(Array(text.utf8), to: path, secret: secret, force: force)
    }

    static func write(_ bytes: [UInt8], to path: String, secret: Bool, force: Bool) throws {
        let mode: mode_t = secret ? 0o600 : 0o644
        var flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC
        flags |= force ? O_TRUNC : O_EXCL
        let descriptor = open(path, flags, mode)
        guard descriptor >= 0 else {
            let reason = errno
            if reason == EEXIST {
                throw CLIFailure("\(path) exists; pass --force to overwrite it", status: .file)
            }
            throw CLIFailure("cannot write \(path): \(String(cString: strerror(reason)))", status: .file)
        }
        defer { close(descriptor) }
        if secret, fchmod(descriptor, mode) != 0 {
            throw CLIFailure("cannot make \(path) private: \(String(cString: strerror(errno)))", status: .file)
        }
        if let reason = writeAll(bytes, to: descriptor) {
            throw CLIFailure("cannot write \(path): \(String(cString: strerror(reason)))", status: .file)
        }
    }

    /// Writes `text` to `path` whole or not at all, replacing what is there: to a partial file of its own
    /// (`path.partial-PID-RANDOM`, created O_EXCL), flushed to disk, then renamed. A process killed mid-write leaves
    /// no torn file where a later run would take it for a saved one, and two writers never share a partial file.
    /// `readableByAll` makes it 0644 whatever the umask (a metrics file another user's collector reads).
    static func writeWhole(_ text: String, to path: String, secret: Bool, readableByAll: Bool = false) throws {
        try writeWhole(Array(text.utf8), to: path, secret: secret, readableByAll: readableByAll, replace: true)
    }

    /// `writeWhole` for bytes; with `replace` false the file must not exist: the partial file is then linked
    /// into place (link(2) refuses an existing name, a symbolic link included), so nothing is ever overwritten.
    static func writeWhole(_ bytes: [UInt8], to path: String, secret: Bool, readableByAll: Bool = false,
                           replace: Bool) throws {
        let partial = path + partialMarker + "\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        do {
            try write(bytes, to: partial, secret: secret, force: false)
            if readableByAll, chmod(partial, 0o644) != 0 {
                throw CLIFailure("cannot make \(partial) readable: \(String(cString: strerror(errno)))", status: .file)
            }
            let descriptor = open(partial, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if descriptor >= 0 {
                fsync(descriptor)
                close(descriptor)
            }
            if replace {
                guard rename(partial, path) == 0 else {
                    throw CLIFailure("cannot write \(path): \(String(cString: strerror(errno)))", status: .file)
                }
            } else {
                guard link(partial, path) == 0 else {
                    let reason = errno
                    if reason == EEXIST {
                        throw CLIFailure("\(path) exists; pass --force to overwrite it", status: .file)
                    }
                    throw CLIFailure("cannot write \(path): \(String(cString: strerror(reason)))", status: .file)
                }
                unlink(partial)
            }
        } catch {
            unlink(partial)
            throw error
        }
    }

    /// What marks the name of a partial file of `writeWhole`.
    static let partialMarker = ".partial-"

    /// Writes all of `text`, retrying short writes and interruptions; the errno of a failure, nil on success.
    static func writeAll(_ text: String, to descriptor: Int32) -> Int32? {
        writeAll(Array(text.utf8), to: descriptor)
    }

    static func writeAll(_ all: [UInt8], to descriptor: Int32) -> Int32? {
        var bytes = all[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            bytes = bytes.dropFirst(written)
        }
        return nil
    }

    /// Fails early, before a key is generated or a certificate issued, when any of `paths` would be refused later:
    /// two of them name the same file, a folder is missing or not writable, a file exists (without `force`), or
    /// is a symbolic link or not a regular file.
    static func checkWritable(_ paths: [String?], force: Bool) throws {
        let given = paths.compactMap { $0 }
        var seen: [String: String] = [:]
        for path in given {
            let folder = parentFolder(of: path)
            var info = stat()
            guard stat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw CLIFailure("cannot write \(path): the folder \(folder) does not exist", status: .file)
            }
            guard access(folder, W_OK) == 0 else {
                throw CLIFailure("cannot write \(path): the folder \(folder) is not writable", status: .file)
            }
            let identity = identity(of: path)
            if let other = seen[identity] {
                throw CLIFailure("\(other) and \(path) are the same file: the key and the certificate need one each",
                                 status: .invalidArgument)
            }
            seen[identity] = path
            if lstat(path, &info) == 0 {
                guard force else { throw CLIFailure("\(path) exists; pass --force to overwrite it", status: .file) }
                guard (info.st_mode & S_IFMT) == S_IFREG else {
                    throw CLIFailure("\(path) is not a regular file (a link, a folder...); it is never written through",
                                     status: .file)
                }
                guard access(path, W_OK) == 0 else { throw CLIFailure("\(path) is not writable", status: .file) }
            }
        }
    }

    /// Refuses an output path that names one of the `inputs` (`--key k.pem --p12-out k.pem --force` would replace
    /// the key it reads).
    static func checkNotInputs(_ outputs: [String?], inputs: [String?]) throws {
        let read = Dictionary(inputs.compactMap { $0 }.map { (identity(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        for output in outputs.compactMap({ $0 }) {
            if let input = read[identity(of: output)] {
                throw CLIFailure("\(output) is \(input), which is read: pass another output path", status: .invalidArgument)
            }
        }
    }

    /// The path with its folder resolved (symbolic links, `.`, `..`): two paths naming one file have one identity.
    private static func identity(of path: String) -> String {
        let folder = parentFolder(of: path)
        return (realpath(folder, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? folder) + "/" + lastComponent(of: path)
    }

    private static func parentFolder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    private static func lastComponent(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure("cannot read \(path)", status: .file)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIFailure("\(path) is not UTF-8 text", status: .file)
        }
        return text
    }
}
