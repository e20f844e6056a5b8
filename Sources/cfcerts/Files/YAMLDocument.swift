import CFCerts
import CLibYAML

/// One YAML document read into the manifest's JSON shape, from libyaml's events, with YAML 1.2's core schema: a
/// plain scalar is null (`null`, `~`, nothing), a boolean (only `true`/`false`), a number or a string; a quoted one
/// is a string, so `country: NO` stays "NO".
///
/// Refused, with the line: more than one document, a key that is not a scalar or is given twice, a tag other than
/// the core schema's, an alias to no anchor before it, nesting deeper than `maxDepth`, and more than `maxValues`
/// values once aliases are expanded (an alias bomb of a few lines is refused, not expanded). Reading keeps no
/// recursion: a deeply nested file cannot exhaust the stack.
struct YAMLDocument {
    struct Failure: Error {
        /// 1-based; nil when the failure has no place in the file.
        let line: Int?
        /// Where in the document, as `certificates[3].subject` ("" for the document itself).
        let location: String
        let message: String
    }

    /// The deepest nesting read: a manifest needs four levels.
    static let maxDepth = 64

    /// The document's value; nil for an empty file.
    static func read(_ text: String, maxValues: Int) throws(Failure) -> JSONValue? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw Failure(line: nil, location: "", message: "cannot be read: out of memory") }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buffer throws(Failure) -> JSONValue? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder(maxValues: maxValues)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.syntaxFailure(parser) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return builder.result }
                try builder.take(event)
            }
        }
    }

    private static func syntaxFailure(_ parser: yaml_parser_t) -> Failure {
        var reason = parser.problem.map { String(cString: $0) } ?? "unreadable"
        if reason.hasPrefix("Maximum nesting level") {
            return Failure(line: Int(parser.problem_mark.line) + 1, location: "", message: "nests deeper than \(maxDepth) levels")
        }
        if let context = parser.context { reason += " " + String(cString: context) }
        return Failure(line: Int(parser.problem_mark.line) + 1, location: "", message: "is not valid YAML: \(reason)")
    }

    /// A plain scalar as YAML 1.2's core schema reads it.
    static func coreSchema(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        if !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), let number = Double(text) {
            return .number(number)
        }
        if text.utf8.allSatisfy({ (48...57).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
                || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
           text.utf8.contains(where: { (48...57).contains($0) }), let number = Double(text), number.isFinite {
            return .number(number)
        }
        return .string(text)
    }

    /// The document built from events: a stack of open collections, the anchored values, and the count of values.
    private struct Builder {
        private enum Collection {
            case sequence([JSONValue])
            /// `key`: the key read, waiting for its value.
            case mapping([String: JSONValue], key: String?)
        }

        private struct Open {
            var collection: Collection
            let anchor: String?
            let location: String
            /// Values inside it, aliases expanded: what an alias to it adds to the count.
            var values = 1
        }

        let maxValues: Int
        private var stack: [Open] = []
        /// Each anchor's value, the values it holds, and, for a scalar, its text (an alias may be a key).
        private var anchors: [String: (value: JSONValue, values: Int, text: String?)] = [:]
        private var values = 0
        private var documents = 0
        private(set) var result: JSONValue?
        private var line = 0

        init(maxValues: Int) { self.maxValues = maxValues }

        mutating func take(_ event: yaml_event_t) throws(Failure) {
            line = Int(event.start_mark.line) + 1
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                guard documents == 1 else { throw failure("", "holds more than one document (---)") }
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                let value = try resolve(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE, tag: Self.string(scalar.tag))
                try count(1)
                if let anchor = Self.string(scalar.anchor) { anchors[anchor] = (value, 1, text) }
                try add(value, values: 1, anchor: nil, keyText: text)
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard let anchored = anchors[name] else { throw failure(nextLocation, "uses the alias *\(name), which names no anchor before it") }
                try count(anchored.values)
                try add(anchored.value, values: anchored.values, anchor: nil, keyText: anchored.text)
            case YAML_SEQUENCE_START_EVENT:
                try open(.sequence([]), tag: Self.string(event.data.sequence_start.tag), expected: "seq",
                         anchor: Self.string(event.data.sequence_start.anchor))
            case YAML_MAPPING_START_EVENT:
                try open(.mapping([:], key: nil), tag: Self.string(event.data.mapping_start.tag), expected: "map",
                         anchor: Self.string(event.data.mapping_start.anchor))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = stack.popLast() else { return }
                let value: JSONValue
                switch closed.collection {
                case .sequence(let items): value = .array(items)
                case .mapping(let object, _): value = .object(object)
                }
                try add(value, values: closed.values, anchor: closed.anchor, keyText: nil)
            default:
                break
            }
        }

        private mutating func open(_ collection: Collection, tag: String?, expected: String, anchor: String?) throws(Failure) {
            let location = nextLocation
            if let tag, tag != "tag:yaml.org,2002:" + expected, tag != "!" {
                throw failure(location, "has the tag \(tag.prefix(64)): a manifest uses only YAML's core schema")
            }
            if case .mapping(_, key: nil)? = stack.last?.collection {
                throw failure(stack.last?.location ?? "", "has a key that is not a plain string")
            }
            guard stack.count < YAMLDocument.maxDepth else { throw failure(location, "nests deeper than \(YAMLDocument.maxDepth) levels") }
            try count(1)
            stack.append(Open(collection: collection, anchor: anchor, location: location))
        }

        /// Places a finished value: the document, an item of the open sequence, or a key or value of the open mapping.
        /// `values`: the values it holds, itself included (already counted).
        private mutating func add(_ value: JSONValue, values added: Int, anchor: String?, keyText: String?) throws(Failure) {
            if let anchor { anchors[anchor] = (value, added, nil) }
            guard var top = stack.popLast() else {
                result = value
                return
            }
            switch top.collection {
            case .sequence(var items):
                items.append(value)
                top.collection = .sequence(items)
                top.values += added
            case .mapping(let object, key: nil):
                guard let name = keyText, value.isScalar else {
                    stack.append(top)
                    throw failure(top.location, "has a key that is not a plain string")
                }
                guard object[name] == nil else {
                    stack.append(top)
                    throw failure(top.location, "has the key \"\(name.prefix(64))\" twice")
                }
                top.collection = .mapping(object, key: name)
                top.values += added
            case .mapping(var object, key: let key?):
                object[key] = value
                top.collection = .mapping(object, key: nil)
                top.values += added
            }
            stack.append(top)
        }

        private mutating func count(_ more: Int) throws(Failure) {
            values += more
            guard values <= maxValues else {
                throw failure("", "holds more than \(maxValues) values once its aliases are expanded")
            }
        }

        private func resolve(_ text: String, plain: Bool, tag: String?) throws(Failure) -> JSONValue {
            guard let tag else { return plain ? YAMLDocument.coreSchema(text) : .string(text) }
            if tag == "!" { return .string(text) }  // the non-specific tag: a string, however it is written
            let resolved = YAMLDocument.coreSchema(text)
            switch (tag, resolved) {
            case ("tag:yaml.org,2002:str", _): return .string(text)
            case ("tag:yaml.org,2002:null", .null), ("tag:yaml.org,2002:bool", .bool),
                 ("tag:yaml.org,2002:int", .number), ("tag:yaml.org,2002:float", .number):
                return resolved
            default:
                throw failure(nextLocation, "has the tag \(tag.prefix(64)) on \"\(text.prefix(32))\": a manifest uses only YAML's core schema")
            }
        }

        /// Where the next value goes.
        private var nextLocation: String {
            guard let top = stack.last else { return "" }
            switch top.collection {
            case .sequence(let items): return "\(top.location)[\(items.count)]"
            case .mapping(_, key: let key?): return top.location.isEmpty ? key : top.location + "." + key
            case .mapping(_, key: nil): return top.location
            }
        }

        private func failure(_ location: String, _ message: String) -> Failure {
            Failure(line: line, location: location, message: message)
        }

        private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
    }
}

private extension JSONValue {
    var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }
}
