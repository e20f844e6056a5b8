/// Reads one JSON object of a manifest strictly: every field it is asked for is checked for its type, fields it
/// was not asked for are refused (a misspelt `validty_days` must not silently mean the default), and every error
/// names where it is (`certificates[3].key.type`).
struct ManifestReader {
    let path: String
    private let fields: [String: JSONValue]
    private var read: Set<String> = []

    init(_ value: JSONValue, at path: String) throws(CFCertsError) {
        guard case .object(let fields) = value else { throw Self.error(path, "must be an object") }
        self.path = path
        self.fields = fields
    }

    static func error(_ path: String, _ message: String) -> CFCertsError {
        .invalidArgument("manifest: \(path.isEmpty ? "the top level" : path) \(message)")
    }

    func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    mutating func string(_ key: String, maxLength: Int = 4096) throws(CFCertsError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw Self.error(child(key), "must be a string") }
        guard text.utf8.count <= maxLength else { throw Self.error(child(key), "is longer than \(maxLength) bytes") }
        guard !text.utf8.contains(0) else { throw Self.error(child(key), "holds a NUL character") }
        return text
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(CFCertsError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.rounded() == number,
              number >= Double(range.lowerBound), number <= Double(range.upperBound)
        else {
            throw Self.error(child(key), "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)  // exact: a whole number inside an Int range
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(CFCertsError) -> T?
        where T.RawValue == String
    {
        guard let text = try string(key, maxLength: 64) else { return nil }
        guard let choice = T(rawValue: text) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw Self.error(child(key), "must be one of \(allowed), not \"\(text)\"")
        }
        return choice
    }

    mutating func object(_ key: String) throws(CFCertsError) -> ManifestReader? {
        guard let value = value(key) else { return nil }
        return try ManifestReader(value, at: child(key))
    }

    mutating func array(_ key: String, maxCount: Int) throws(CFCertsError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let values) = value else { throw Self.error(child(key), "must be a list") }
        guard values.count <= maxCount else { throw Self.error(child(key), "has more than \(maxCount) items") }
        return values
    }

    /// Refuses fields that were never asked for.
    func finish() throws(CFCertsError) {
        let unknown = fields.keys.filter { !read.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        throw Self.error(child(first), "is not a manifest field\(unknown.count > 1 ? " (nor \(unknown.dropFirst().joined(separator: ", ")))" : "")")
    }
}
