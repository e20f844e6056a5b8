/// Writes an entry's output files (`FleetOutputs`) from its certificate, the key in the state folder and the CA
/// chain file, each whole or not at all; and tells which of them are missing or differ.
struct FleetOutputWriter {
    let state: FleetState

    /// What each asked file should hold, by path.
    func expectedFiles(of entry: FleetEntry, certificate: ClientCertificate) throws(CFCertsError) -> [(path: String, text: String, secret: Bool)] {
        guard let folder = entry.outputs.folder else { return [] }
        var files: [(path: String, text: String, secret: Bool)] = []
        let base = folder + "/" + entry.name
        if entry.outputs.files.contains(.certificate) {
            files.append((base + ".pem", Self.pem(certificate.certificate), false))
        }
        if entry.outputs.files.contains(.key), case .generated = entry.source {
            guard let key = try FleetFiles.readText(state.keyPath(entry.name)) else {
                throw .invalidArgument("\(entry.name): its key \(state.keyPath(entry.name)) is missing from the state folder")
            }
            files.append((base + ".key", key, true))
        }
        if entry.outputs.files.contains(.chain), let chainFile = entry.outputs.chainFile {
            guard let chain = try FleetFiles.readText(chainFile) else {
                throw .invalidArgument("\(entry.name): its chain_file \(chainFile) does not exist")
            }
            files.append((base + ".ca.pem", Self.pem(chain), false))
        }
        return files
    }

    /// Which output files are missing or differ, in words; nil when all are as they should be.
    func staleFiles(of entry: FleetEntry, certificate: ClientCertificate) throws(CFCertsError) -> String? {
        var missing: [String] = [], differing: [String] = []
        for file in try expectedFiles(of: entry, certificate: certificate) {
            let name = String(file.path.split(separator: "/").last ?? "")
            let existing: String?? = try? FleetFiles.readText(file.path)
            if let existing, let text = existing {
                if text != file.text { differing.append(name) }
            } else {
                missing.append(name)
            }
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
        if !differing.isEmpty { parts.append("\(differing.joined(separator: ", ")) differ from the certificate") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Writes every asked file that is missing or differs; returns the paths written.
    @discardableResult
    func write(_ entry: FleetEntry, certificate: ClientCertificate) throws(CFCertsError) -> [String] {
        let files = try expectedFiles(of: entry, certificate: certificate)
        guard let folder = entry.outputs.folder, !files.isEmpty else { return [] }
        try FleetFiles.prepareFolder(folder, what: "the outputs folder")
        var written: [String] = []
        for file in files where (try? FleetFiles.readText(file.path)) != .some(file.text) {
            try FleetFiles.writeWhole(file.text, to: file.path, secret: file.secret)
            written.append(file.path)
        }
        return written
    }

    /// PEM text as written: line endings as `\n`, one newline at the end.
    static func pem(_ text: String) -> String {
        var normalized = LineEndings.normalized(text)
        while normalized.last == "\n" || normalized.last == " " { normalized.removeLast() }
        return normalized + "\n"
    }
}
