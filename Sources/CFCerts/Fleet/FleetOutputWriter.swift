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

    /// The entry's PKCS#12 bundle, when asked. Its salts are random, so it is not compared byte for byte: it is
    /// made again for a new certificate, and when it is missing or `bundleStaleness` says why.
    func bundlePath(of entry: FleetEntry) -> String? {
        guard let folder = entry.outputs.folder, entry.outputs.files.contains(.pkcs12), case .generated = entry.source else { return nil }
        return folder + "/" + entry.name + ".p12"
    }

    /// Why the bundle on disk is not the one asked now, in words; nil when it holds `certificate` and opens with
    /// the password and profile asked (a password file changed, a profile switched, another file copied over it:
    /// not). Where the password cannot be read (a plan made without the bundles' secret), the certificate and the
    /// profile are checked, not the password: a bundle that has to be made again then fails its step, naming the
    /// password's source.
    func bundleStaleness(_ path: String, of entry: FleetEntry, certificate: ClientCertificate) -> String? {
        guard let settings = entry.outputs.pkcs12 else { return nil }
        guard let bytes = try? FleetFiles.read(path) else { return "\(entry.name).p12 is missing or unreadable" }
        let password = try? settings.password()
        if PKCS12Bundle.holds(certificatePEM: certificate.certificate, in: bytes, password: password, profile: settings.profile) {
            return nil
        }
        return password == nil
            ? "\(entry.name).p12 holds another certificate, or was made with another profile"
            : "\(entry.name).p12 holds another certificate, or does not open with the password and profile asked"
    }

    /// Which output files are missing or differ, in words; nil when all are as they should be.
    func staleFiles(of entry: FleetEntry, certificate: ClientCertificate) throws(CFCertsError) -> String? {
        var missing: [String] = [], differing: [String] = [], stale: [String] = []
        if let bundle = bundlePath(of: entry) {
            if !FleetFiles.exists(bundle) {
                missing.append(entry.name + ".p12")
            } else if let why = bundleStaleness(bundle, of: entry, certificate: certificate) {
                stale.append(why)
            }
        }
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
        if !differing.isEmpty {
            parts.append("\(differing.joined(separator: ", ")) \(differing.count == 1 ? "differs" : "differ") from the certificate")
        }
        parts += stale
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Writes every asked file that is missing or differs, and the PKCS#12 bundle when `newCertificate` or when it
    /// is missing; returns the paths written.
    @discardableResult
    func write(_ entry: FleetEntry, certificate: ClientCertificate, newCertificate: Bool = false) throws(CFCertsError) -> [String] {
        let files = try expectedFiles(of: entry, certificate: certificate)
        let bundle = bundlePath(of: entry)
        guard let folder = entry.outputs.folder, !files.isEmpty || bundle != nil else { return [] }
        try FleetFiles.prepareFolder(folder, what: "the outputs folder")
        var written: [String] = []
        for file in files where (try? FleetFiles.readText(file.path)) != .some(file.text) {
            try FleetFiles.writeWhole(file.text, to: file.path, secret: file.secret)
            written.append(file.path)
        }
        if let bundle, let settings = entry.outputs.pkcs12,
           newCertificate || bundleStaleness(bundle, of: entry, certificate: certificate) != nil {
            guard let key = try FleetFiles.readText(state.keyPath(entry.name)) else {
                throw .invalidArgument("\(entry.name): its key \(state.keyPath(entry.name)) is missing from the state folder")
            }
            let chain = try entry.outputs.chainFile.map { path throws(CFCertsError) -> String in
                guard let text = try FleetFiles.readText(path) else { throw .invalidArgument("\(entry.name): its chain_file \(path) does not exist") }
                return text
            }
            let bytes = try PKCS12Bundle.make(certificatePEM: Self.pem(certificate.certificate), privateKeyPEM: key,
                                              chainPEMs: chain.map { [$0] } ?? [], password: try settings.password(),
                                              profile: settings.profile, friendlyName: entry.name)
            try FleetFiles.writeWhole(bytes, to: bundle, secret: true)
            written.append(bundle)
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
