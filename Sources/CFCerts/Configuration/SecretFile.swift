#if canImport(Glibc)
import Glibc
#endif

/// Reading a secret kept in a file (an API token, a PKCS#12 password): opened without blocking (a FIFO or a device
/// is refused, not waited on), a regular file only, read up to a bound. Messages name the file and its origin
/// (`source`, e.g. the variable or flag), never what it holds.
enum SecretFile {
    /// The file's bytes, at most `limit + 1` of them (so a caller can tell a file over its limit).
    static func bytes(of path: String, named source: String, limit: Int) throws(CFCertsError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { throw refusal(path, source, "cannot open it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw refusal(path, source, "cannot read it: \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw refusal(path, source, "not a regular file") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw refusal(path, source, "cannot read it: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }

    static func refusal(_ path: String, _ source: String, _ why: String) -> CFCertsError {
        .invalidArgument("\(source) \(path): \(why)")
    }
}
