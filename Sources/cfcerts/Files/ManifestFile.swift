import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a fleet manifest file: YAML (`.yaml`, `.yml`) or JSON (`.json`), into the core's `FleetManifest`.
///
/// YAML is read by libyaml with YAML 1.2's core schema (`YAMLDocument`): only `true`/`false` are booleans and only
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
        do {
            guard let value = try YAMLDocument.read(text, maxValues: largestDocument) else {
                throw CLIFailure("\(path) is empty", status: .invalidArgument)
            }
            return value
        } catch let failure as YAMLDocument.Failure {
            let line = failure.line.map { " (line \($0))" } ?? ""
            let location = failure.location.isEmpty ? "" : failure.location + " "
            throw CLIFailure("\(path)\(line): \(location)\(failure.message)", status: .invalidArgument)
        }
    }
}
