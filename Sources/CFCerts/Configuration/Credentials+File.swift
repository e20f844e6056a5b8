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
        func refused(_ why: String) -> CFCertsError { SecretFile.refusal(path, source, why) }
        var bytes = try SecretFile.bytes(of: path, named: source, limit: maxLength)
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0a || last == 0x0d { bytes.removeLast() }
        guard !bytes.isEmpty else { throw refused("the file is empty") }
        guard bytes.count <= maxLength else { throw refused("longer than \(maxLength) bytes: not a token") }
        guard !bytes.contains(0x0a) else { throw refused("more than one line: the file must hold the token alone") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
