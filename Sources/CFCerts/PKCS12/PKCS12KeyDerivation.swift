import Crypto

/// The PKCS#12 key derivation function (RFC 7292, appendix B.2): keys and IVs of the PKCS#12 PBE schemes
/// (`legacy`: SHA-1 for 3DES) and the key of the HMAC over a whole file (SHA-1 for `legacy`, SHA-256 for `modern`,
/// as OpenSSL 3 does).
enum PKCS12KeyDerivation {
    /// What the derived bytes are for: RFC 7292's diversifier ID.
    enum Purpose: UInt8 {
        case encryptionKey = 1
        case iv = 2
        case macKey = 3
    }

    /// The password as the function takes it: a BMPString, big-endian UTF-16 code units (a character beyond the
    /// BMP as its surrogate pair, as OpenSSL and Java encode it), ending in two zero bytes.
    static func bmpPassword(_ password: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(password.utf16.count * 2 + 2)
        for unit in password.utf16 { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        return bytes + [0, 0]
    }

    /// `byteCount` bytes for `purpose`, from the password (already in `bmpPassword` form), the salt and `iterations`
    /// rounds of `hash`.
    static func derive<Hash: HashFunction>(_ hash: Hash.Type, password: [UInt8], salt: [UInt8], iterations: Int,
                                           purpose: Purpose, byteCount: Int) -> [UInt8] {
        let v = Hash.blockByteCount
        let diversifier = [UInt8](repeating: purpose.rawValue, count: v)
        func filled(_ bytes: [UInt8]) -> [UInt8] {
            guard !bytes.isEmpty else { return [] }
            let length = v * ((bytes.count + v - 1) / v)
            return (0..<length).map { bytes[$0 % bytes.count] }
        }
        var input = filled(salt) + filled(password)
        var output: [UInt8] = []
        while true {
            var block = Array(Hash.hash(data: diversifier + input))
            for _ in 1..<max(iterations, 1) { block = Array(Hash.hash(data: block)) }
            output += block
            if output.count >= byteCount { return Array(output.prefix(byteCount)) }
            // Each v-byte block of the input becomes (block + B + 1) mod 2^(8v), B being this round's output
            // repeated to v bytes.
            let b = filled(block).prefix(v)
            for start in stride(from: 0, to: input.count, by: v) {
                var carry = 1
                for offset in (0..<v).reversed() {
                    let sum = Int(input[start + offset]) + Int(b[b.startIndex + offset]) + carry
                    input[start + offset] = UInt8(truncatingIfNeeded: sum)
                    carry = sum >> 8
                }
            }
        }
    }
}
