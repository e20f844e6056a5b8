#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension Credentials {
    /// The token in the file at `path`: its one line, trailing white space dropped. Opened without blocking (a FIFO
    /// or a device is refused, not waited on) and read up to `maxLength`. `source` names the file's origin (the
    /// variable) in messages; no message shows what the file holds.
    static func token(fromFile path: String, named source: String) throws(CFCertsError) -> String {
        func refused(_ why: String) -> CFCertsError { .invalidArgument("\(source) \(path): \(why)") }
        func reason() -> String { String(cString: strerror(errno)) }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { throw refused("cannot open it: \(reason())") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw refused("cannot read it: \(reason())") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw refused("not a regular file") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= maxLength {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw refused("cannot read it: \(reason())") }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0a || last == 0x0d { bytes.removeLast() }
        guard !bytes.isEmpty else { throw refused("the file is empty") }
        guard bytes.count <= maxLength else { throw refused("longer than \(maxLength) bytes: not a token") }
        guard !bytes.contains(0x0a) else { throw refused("more than one line: the file must hold the token alone") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
