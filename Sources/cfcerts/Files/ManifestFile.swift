import CFCerts
import Yams
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a fleet manifest file: YAML (`.yaml`, `.yml`) or JSON (`.json`), into the core's `FleetManifest`.
///
/// YAML is read by libyaml (through Yams) with YAML 1.2's core schema: only `true`/`false` are booleans and only
/// `null`/`~` (or nothing) is null, so `country: NO` stays the string "NO". Duplicate keys are refused. Aliases
/// are read, up to `largestDocument` values in all (an alias bomb of a few lines is refused, not expanded).
enum ManifestFile {
    /// The largest manifest read.
    static let largestFile = 16 << 20
    /// The most values (scalars, lists, maps) a manifest may hold once its aliases are expanded.
    static let largestDocument = 1_000_000

    static func load(_ path: String) throws -> FleetManifest {
        let text = try OutputFile.read(path)
        guard text.utf8.count <= largestFile else {
            throw CLIFailure("\(path) is larger than \(largestFile >> 20) MiB", status: .file)
        }
        let folder = Self.folder(of: path)
        do {
            if path.hasSuffix(".json") {
                return try FleetManifest(json: Array(text.utf8), baseDirectory: folder)
            }
            return try FleetManifest(try yamlValue(text, path: path), baseDirectory: folder)
        } catch let error as CFCertsError {
            throw CLIFailure("\(path): \(error.message)", status: .invalidArgument)
        }
    }

    /// The manifest's own folder, absolute: its relative paths are read from there.
    static func folder(of path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return String(absolute[..<(absolute.lastIndex(of: "/") ?? absolute.endIndex)])
    }

    static func yamlValue(_ text: String, path: String) throws -> JSONValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch {
            // Yams's description quotes the document after its first line: the first line is the reason.
            let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
            throw CLIFailure("\(path) is not valid YAML: \(reason)", status: .invalidArgument)
        }
        guard let root else { throw CLIFailure("\(path) is empty", status: .invalidArgument) }
        var budget = largestDocument
        return try value(of: root, at: "", path: path, budget: &budget)
    }

    private static func value(of node: Node, at location: String, path: String, budget: inout Int) throws -> JSONValue {
        func failure(_ message: String) -> CLIFailure {
            let line = node.mark.map { " (line \($0.line))" } ?? ""
            return CLIFailure("\(path)\(line): \(location.isEmpty ? "the document" : location) \(message)", status: .invalidArgument)
        }
        budget -= 1
        guard budget >= 0 else {
            throw CLIFailure("\(path) holds more than \(largestDocument) values once its aliases are expanded", status: .invalidArgument)
        }
        switch node {
        case .alias(let alias):
            throw failure("uses the alias *\(alias.anchor.rawValue), which names no anchor before it")
        case .scalar(let scalar):
            return scalar.style == .plain ? coreSchema(scalar.string) : .string(scalar.string)
        case .sequence(let sequence):
            var values: [JSONValue] = []
            for (index, child) in sequence.enumerated() {
                values.append(try value(of: child, at: "\(location)[\(index)]", path: path, budget: &budget))
            }
            return .array(values)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, child) in mapping {
                guard case .scalar(let name) = key else { throw failure("has a key that is not a plain string") }
                let childLocation = location.isEmpty ? name.string : location + "." + name.string
                guard object[name.string] == nil else { throw failure("has the key \"\(name.string)\" twice") }
                object[name.string] = try value(of: child, at: childLocation, path: path, budget: &budget)
            }
            return .object(object)
        }
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
}
