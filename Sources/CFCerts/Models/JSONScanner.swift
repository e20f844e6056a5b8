/// A validating, non-allocating walk over JSON text (RFC 8259): it checks the grammar, UTF-8 and nesting (at most
/// `maxDepth`) while it moves, and hands out positions rather than building values, so a list answer can be cut
/// into its certificates' texts without decoding them.
struct JSONScanner {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    static let maxDepth = 512

    private let bytes: [UInt8]
    private(set) var offset = 0
    /// While set, every CR escape (`\r` or `\u000d`) inside strings, to be dropped or rewritten by `copy`.
    private var crlf: [CarriageReturn]?

    /// A CR escape in a string: `length` bytes at `offset`; `beforeLF` when a LF escape follows it directly.
    struct CarriageReturn {
        var offset: Int
        var length: Int
        var beforeLF: Bool
    }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    // MARK: Structure

    /// An object: `body` is called with each key and must consume its value.
    mutating func object(_ body: (inout JSONScanner, String) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { offset += 1; return }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try body(&self, key)
            skipWhitespace()
            guard let next = take() else { throw fail("unterminated object") }
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw fail("expected , or }", at: offset - 1) }
        }
    }

    /// `object`, also collecting every CR escape anywhere inside it (see `copy`).
    mutating func object(collectingCRLF positions: inout [CarriageReturn], _ body: (inout JSONScanner, String) throws -> Void) throws {
        crlf = []
        defer {
            positions = crlf ?? []
            crlf = nil
        }
        try object(body)
    }

    /// An array: `body` is called for each element and must consume it.
    mutating func array(_ body: (inout JSONScanner) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { offset += 1; return }
        while true {
            skipWhitespace()
            try body(&self)
            skipWhitespace()
            guard let next = take() else { throw fail("unterminated array") }
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw fail("expected , or ]", at: offset - 1) }
        }
    }

    /// Skips (and checks) one value of any kind; returns where it was.
    @discardableResult
    mutating func skipValue() throws -> Range<Int> {
        skipWhitespace()
        let start = offset
        try skipValue(depth: 0)
        return start..<offset
    }

    /// The next value when it is a string (consumed); nil, consuming nothing, when it is anything else.
    mutating func stringIfPresent() throws -> String? {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { return nil }
        return try string()
    }

    /// The next value when it is `true` or `false` (consumed); nil, consuming nothing, when it is anything else.
    mutating func boolIfPresent() throws -> Bool? {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: return nil
        }
    }

    /// `null` (consumed, true), or anything else (nothing consumed, false).
    mutating func nullIfPresent() throws -> Bool {
        skipWhitespace()
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// A string, or nil for `null`; any other value is an error naming `key`. `normalizingLineEndings` turns
    /// `\r\n` and a lone `\r` into `\n`, as `LineEndings.normalized` does.
    mutating func stringOrNull(_ key: String, normalizingLineEndings: Bool = false) throws -> String? {
        if try nullIfPresent() { return nil }
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw fail("\(key) is not a string") }
        return try string(normalizingLineEndings: normalizingLineEndings)
    }

    /// A string; anything else is an error naming `key`.
    mutating func requiredString(_ key: String) throws -> String {
        guard let text = try stringIfPresent() else { throw fail("\(key) is not a string") }
        return text
    }

    /// An integer (no fraction, no exponent, within Int), or nil for `null`; anything else is an error.
    mutating func integerOrNull(_ key: String) throws -> Int? {
        if try nullIfPresent() { return nil }
        skipWhitespace()
        let range = try skipValue()
        let digits = bytes[range]
        guard let first = digits.first, first == UInt8(ascii: "-") || isDigit(first),
              digits.dropFirst().allSatisfy(isDigit), let value = Int(String(decoding: digits, as: UTF8.self))
        else { throw fail("\(key) is not an integer", at: range.lowerBound) }
        return value
    }

    /// The text of a range this scanner handed out.
    func text(of range: Range<Int>) -> ArraySlice<UInt8> { bytes[range] }

    /// Only white space may follow.
    mutating func end() throws {
        skipWhitespace()
        guard offset == bytes.count else { throw fail("text after the JSON value") }
    }

    /// The bytes from `start` to `end` with line endings made LF, as `LineEndings.normalized` does to decoded
    /// text: a CR escape before a LF escape is dropped, a lone one becomes `\n`.
    func copy(from start: Int, to end: Int, dropping: [CarriageReturn]) -> [UInt8] {
        guard !dropping.isEmpty else { return Array(bytes[start..<end]) }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var from = start
        for carriageReturn in dropping {
            out.append(contentsOf: bytes[from..<carriageReturn.offset])
            if !carriageReturn.beforeLF { out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")]) }
            from = carriageReturn.offset + carriageReturn.length
        }
        out.append(contentsOf: bytes[from..<end])
        return out
    }

    // MARK: Values

    private mutating func skipValue(depth: Int) throws {
        guard depth < Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) deep") }
        guard let first = peek() else { throw fail("expected a value") }
        switch first {
        case UInt8(ascii: "{"):
            try object { scanner, _ in
                scanner.skipWhitespace()
                try scanner.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            try array { scanner in try scanner.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw fail("expected a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw fail("expected \(word)") }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] { throw fail("expected \(word)") }
        offset += count
    }

    /// A number, refused when it is beyond a Double's range (`1e400`): the same rule as the decoder the single
    /// answers go through, so every path accepts the same answers.
    private mutating func number() throws {
        let start = offset
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard let first = peek(), isDigit(first) else { throw fail("malformed number") }
        offset += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            offset += 1
            guard let digit = peek(), isDigit(digit) else { throw fail("malformed number") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            offset += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
            guard let digit = peek(), isDigit(digit) else { throw fail("malformed number") }
            skipDigits()
            try checkRange(from: start)
        } else if offset - start > 300 {
            try checkRange(from: start)
        }
    }

    private func checkRange(from start: Int) throws {
        guard let value = Double(String(decoding: bytes[start..<offset], as: UTF8.self)), value.isFinite else {
            throw fail("a number beyond the range of a double", at: start)
        }
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { offset += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Checks a string and moves past it; returns whether it held escapes.
    @discardableResult
    private mutating func skipString() throws -> Bool {
        try expect(UInt8(ascii: "\""))
        var escaped = false
        while true {
            guard let byte = take() else { throw fail("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                return escaped
            case UInt8(ascii: "\\"):
                escaped = true
                try skipEscape()
            case 0..<0x20:
                throw fail("a control character in a string", at: offset - 1)
            case 0x80...:
                try skipUTF8(lead: byte)
            default:
                break
            }
        }
    }

    private mutating func skipEscape() throws {
        guard let kind = take() else { throw fail("unterminated escape") }
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "t"):
            break
        case UInt8(ascii: "r"):
            // Remembered, so the copy handed out has LF line endings.
            if crlf != nil {
                let carriageReturn = CarriageReturn(offset: offset - 2, length: 2, beforeLF: isLFEscape(at: offset))
                crlf?.append(carriageReturn)
            }
        case UInt8(ascii: "u"):
            guard offset + 4 <= bytes.count, bytes[offset..<offset + 4].allSatisfy({ hexValue($0) != nil }) else {
                throw fail("malformed \\u escape")
            }
            if crlf != nil, unit(at: offset) == 0x0D {
                let carriageReturn = CarriageReturn(offset: offset - 2, length: 6, beforeLF: isLFEscape(at: offset + 4))
                crlf?.append(carriageReturn)
            }
            offset += 4
        default:
            throw fail("unknown escape", at: offset - 1)
        }
    }

    /// Whether a LF escape (`\n` or `\u000a`) starts at `position`.
    private func isLFEscape(at position: Int) -> Bool {
        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\") else { return false }
        if bytes[position + 1] == UInt8(ascii: "n") { return true }
        return bytes[position + 1] == UInt8(ascii: "u") && position + 6 <= bytes.count
            && bytes[position + 2..<position + 6].allSatisfy({ hexValue($0) != nil }) && unit(at: position + 2) == 0x0A
    }

    /// The code unit of the four hex digits at `position` (checked by the caller).
    private func unit(at position: Int) -> UInt32 {
        bytes[position..<position + 4].reduce(0) { $0 << 4 | UInt32(hexValue($1) ?? 0) }
    }

    /// One multi-byte UTF-8 sequence after its lead byte, checked as Unicode requires (no overlong forms, no
    /// surrogates, nothing past U+10FFFF).
    private mutating func skipUTF8(lead: UInt8) throws {
        let continuation: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: continuation = 1
        case 0xE0: continuation = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: continuation = 2
        case 0xED: continuation = 2; high = 0x9F
        case 0xF0: continuation = 3; low = 0x90
        case 0xF1...0xF3: continuation = 3
        case 0xF4: continuation = 3; high = 0x8F
        default: throw fail("invalid UTF-8", at: offset - 1)
        }
        for index in 0..<continuation {
            guard let byte = take(), byte >= (index == 0 ? low : 0x80), byte <= (index == 0 ? high : 0xBF) else {
                throw fail("invalid UTF-8", at: offset - 1)
            }
        }
    }

    /// A string's value, escapes decoded (a lone surrogate becomes U+FFFD). Built as UTF-8 bytes: the PEM fields
    /// hold an escape a line, and a scalar at a time would cost more than the whole scan.
    private mutating func string(normalizingLineEndings: Bool = false) throws -> String {
        let start = offset + 1
        let escaped = try skipString()
        let end = offset - 1
        guard escaped else { return String(decoding: bytes[start..<end], as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var index = start
        var pendingHigh: UInt32?
        func append(_ scalar: Unicode.Scalar) { out.append(contentsOf: String(scalar).utf8) }
        func flushHigh() {
            if pendingHigh != nil { append("\u{FFFD}") }
            pendingHigh = nil
        }
        while index < end {
            if bytes[index] != UInt8(ascii: "\\") {
                flushHigh()
                let run = index
                while index < end, bytes[index] != UInt8(ascii: "\\") { index += 1 }
                out.append(contentsOf: bytes[run..<index])
                continue
            }
            let kind = bytes[index + 1]
            index += 2
            guard kind == UInt8(ascii: "u") else {
                flushHigh()
                switch kind {
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r") where normalizingLineEndings:
                    // A raw CR cannot be in JSON text, so every CR is an escape: CR LF -> LF, lone CR -> LF.
                    if !isLFEscape(at: index) { out.append(0x0A) }
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                default: out.append(kind)  // " \\ /
                }
                continue
            }
            let unit = self.unit(at: index)
            index += 4
            if unit == 0x0D, normalizingLineEndings {
                flushHigh()
                if !isLFEscape(at: index) { out.append(0x0A) }
                continue
            }
            switch unit {
            case 0xD800...0xDBFF:
                flushHigh()
                pendingHigh = unit
            case 0xDC00...0xDFFF:
                if let high = pendingHigh, let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)) {
                    append(scalar)
                    pendingHigh = nil
                } else {
                    flushHigh()
                    append("\u{FFFD}")
                }
            default:
                flushHigh()
                append(Unicode.Scalar(unit) ?? "\u{FFFD}")
            }
        }
        flushHigh()
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Bytes

    private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func take() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard take() == byte else { throw fail("expected \(Character(Unicode.Scalar(byte)))", at: offset - 1) }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    private func fail(_ message: String, at position: Int? = nil) -> Failure {
        Failure(message: message, offset: max(0, position ?? offset))
    }
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
