import Crypto

/// Lower-case hex SHA-256 of a text's UTF-8.
enum SHA256Hex {
    static func of(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(UInt16($0) | 0x100, radix: 16).dropFirst() }.joined()
    }
}
