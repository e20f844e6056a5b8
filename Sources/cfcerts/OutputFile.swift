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
        if let reason = writeAll(text, to: descriptor) {
            throw CLIFailure("cannot write \(path): \(String(cString: strerror(reason)))", status: .file)
        }
    }

    /// Writes all of `text`, retrying short writes and interruptions; the errno of a failure, nil on success.
    static func writeAll(_ text: String, to descriptor: Int32) -> Int32? {
        var bytes = Array(text.utf8)[...]
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

    /// Fails early, before a key is generated or a certificate issued, when `path` would be refused later.
    static func checkWritable(_ path: String?, force: Bool) throws {
        guard let path, !force else { return }
        var info = stat()
        if lstat(path, &info) == 0 {
            throw CLIFailure("\(path) exists; pass --force to overwrite it", status: .file)
        }
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
