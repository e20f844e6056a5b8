#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What certificates should exist: named entries, each with its subject and key (or the owner's own CSR), validity,
/// when to renew, the status it should have, the files to write and a hook to run after them. `FleetPlanner`
/// compares it with the zone and the state folder; `FleetApplier` converges to it.
///
/// The manifest's form is JSON (a YAML file is read into the same shape by the face that reads it; TOML is not
/// read yet):
///
///     { "zone": "…", "prune": "keep",
///       "defaults": { "validity_days": 365, "renew_before": "33%", "key": { "type": "p256", "rotation": "always" },
///                     "subject": { "organization": "Acme" }, "outputs": { "dir": "certs" }, "hook": "…" },
///       "certificates": [ { "name": "edge-01", "subject": { "common_name": "edge-01.example.com" } } ] }
///
/// An entry's fields override the defaults (a subject field by field). Relative paths are read from the
/// manifest's own folder.
public struct FleetManifest: Sendable, Hashable {
    /// What happens to certificates this manifest's state holds that are no longer listed.
    public enum Prune: String, Sendable, Hashable, CaseIterable {
        /// Left as they are (and out of the state's care); plan says so. The default.
        case keep
        /// Revoked.
        case revoke
    }

    public var prune: Prune
    public var entries: [FleetEntry]

    /// The most entries in one manifest.
    public static let maxEntries = 100_000

    public init(prune: Prune = .keep, entries: [FleetEntry]) {
        self.prune = prune
        self.entries = entries
    }

    /// Reads a manifest in its JSON form; relative paths are taken from `baseDirectory` (the manifest's folder).
    /// Throws `invalidArgument` naming the field for anything malformed, unknown or contradictory.
    public init(json: [UInt8], baseDirectory: String) throws(CFCertsError) {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(json))
        } catch {
            throw .invalidArgument("manifest: not valid JSON")
        }
        try self.init(value, baseDirectory: baseDirectory)
    }

    /// Reads a manifest already parsed into JSON values (the shape YAML and TOML files are read into).
    public init(_ value: JSONValue, baseDirectory: String) throws(CFCertsError) {
        var top = try ManifestReader(value, at: "")
        if let version = try top.integer("version", in: 1...1_000), version != 1 {
            throw ManifestReader.error("version", "is \(version); this cfcerts reads version 1")
        }
        let zone = try top.string("zone", maxLength: 64)
        try zone.map { zone throws(CFCertsError) in try FleetEntry.checkZone(zone, at: top.child("zone")) }
        prune = try top.choice("prune", Prune.self) ?? .keep
        var defaults = FleetEntry.Settings()
        defaults.zoneID = zone
        if var fields = try top.object("defaults") {
            try defaults.read(&fields, inheritedOutputs: nil, baseDirectory: baseDirectory)
            try fields.finish()
        }
        guard let list = try top.array("certificates", maxCount: Self.maxEntries) else {
            throw ManifestReader.error("certificates", "is missing: list the certificates that should exist")
        }
        try top.finish()
        var entries: [FleetEntry] = []
        var names: [String: Int] = [:]
        var csrFiles: [String: String] = [:]
        var outputFiles: [String: String] = [:]
        for (index, item) in list.enumerated() {
            let entry = try FleetEntry(item, at: "certificates[\(index)]", defaults: defaults, baseDirectory: baseDirectory)
            if let first = names.updateValue(index, forKey: entry.name.lowercased()) {
                throw ManifestReader.error("certificates[\(index)].name", "\"\(entry.name)\" is also the name of certificates[\(first)]: names must be unique (they name files)")
            }
            if case .csr(let path) = entry.source, let other = csrFiles.updateValue(entry.name, forKey: path) {
                throw ManifestReader.error("certificates[\(index)].csr", "is also the CSR of \"\(other)\": one CSR would issue both entries' certificates")
            }
            for file in entry.outputs.paths(of: entry.name) {
                if let other = outputFiles.updateValue(entry.name, forKey: file), other != entry.name {
                    throw ManifestReader.error("certificates[\(index)].name", "\"\(entry.name)\" would write \(file), which \"\(other)\" writes too: rename one")
                }
            }
            entries.append(entry)
        }
        self.entries = entries
    }
}

/// One certificate that should exist.
public struct FleetEntry: Sendable, Hashable {
    /// Where the certificate's key comes from.
    public enum Source: Sendable, Hashable {
        /// cfcerts makes the key (kept in the state folder) and the CSR for `subject`.
        case generated(subject: CSRSubject, keyType: CertificateSigningRequests.KeyType, rotation: KeyRotation)
        /// The owner's CSR file (absolute path): the key is theirs, cfcerts never sees it.
        case csr(path: String)
    }

    /// Whether a new certificate gets a new key.
    public enum KeyRotation: String, Sendable, Hashable, CaseIterable {
        /// A new key for every new certificate (the default, as cert-manager's since 1.18).
        case always
        /// The entry's key is kept across renewals (a new CSR signed with it).
        case never
    }

    /// The status the certificate should have.
    public enum DesiredStatus: String, Sendable, Hashable, CaseIterable {
        case active, revoked
    }

    /// Unique in the manifest (without letter case); names the output files: 1 to 64 of `A-Z a-z 0-9 . _ -`,
    /// not starting with `.` or `-`.
    public var name: String
    public var zoneID: String
    public var source: Source
    public var validityDays: Int
    public var renewBefore: RenewBefore
    public var status: DesiredStatus
    public var outputs: FleetOutputs
    /// A shell command (`/bin/sh -c`) run after the entry's new files are in place.
    public var hook: String?

    /// The API's range of validity days.
    public static let validityRange = 1...3650
    public static let defaultValidityDays = 365

    public init(name: String, zoneID: String, source: Source, validityDays: Int = FleetEntry.defaultValidityDays,
                renewBefore: RenewBefore = .default, status: DesiredStatus = .active,
                outputs: FleetOutputs = FleetOutputs(), hook: String? = nil) {
        self.name = name
        self.zoneID = zoneID
        self.source = source
        self.validityDays = validityDays
        self.renewBefore = renewBefore
        self.status = status
        self.outputs = outputs
        self.hook = hook
    }

    /// A zone id names journal files too: 1 to 64 of `A-Z a-z 0-9 _ -` (Cloudflare's are 32 hex digits).
    static func checkZone(_ zone: String, at path: String) throws(CFCertsError) {
        let allowed = (1...64).contains(zone.utf8.count) && zone.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
        guard allowed else { throw ManifestReader.error(path, "is not a zone id (1 to 64 of A-Z a-z 0-9 _ -; Cloudflare's are 32 hex digits)") }
    }

    /// Whether `name` may name an entry (and so its files): 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.`
    /// or `-`, and without `.partial-` (what marks a file being written).
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first,
              first != UInt8(ascii: "."), first != UInt8(ascii: "-"), !name.contains(".partial-")
        else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }

    /// Settings as read from `defaults` or from one entry: every field optional until merged.
    struct Settings {
        var zoneID: String?
        var validityDays: Int?
        var renewBefore: RenewBefore?
        var keyType: CertificateSigningRequests.KeyType?
        var rotation: KeyRotation?
        var subject = SubjectFields()
        var outputs: FleetOutputs?
        var hook: String?
        var status: DesiredStatus?

        mutating func read(_ fields: inout ManifestReader, inheritedOutputs: FleetOutputs?,
                           baseDirectory: String) throws(CFCertsError) {
            if let zone = try fields.string("zone", maxLength: 64) {
                try FleetEntry.checkZone(zone, at: fields.child("zone"))
                zoneID = zone
            }
            validityDays = try fields.integer("validity_days", in: FleetEntry.validityRange)
            if let text = try fields.string("renew_before", maxLength: 16) {
                do throws(CFCertsError) {
                    renewBefore = try RenewBefore(parsing: text)
                } catch {
                    throw ManifestReader.error(fields.child("renew_before"), "is \"\(text)\": \(error.message)")
                }
            }
            status = try fields.choice("status", DesiredStatus.self)
            if var key = try fields.object("key") {
                keyType = try key.choice("type", CertificateSigningRequests.KeyType.self)
                rotation = try key.choice("rotation", KeyRotation.self)
                try key.finish()
            }
            if var subjectFields = try fields.object("subject") {
                try subject.read(&subjectFields)
                try subjectFields.finish()
            }
            if var outputFields = try fields.object("outputs") {
                outputs = try FleetOutputs(reading: &outputFields, over: inheritedOutputs, baseDirectory: baseDirectory)
                try outputFields.finish()
            }
            if let command = try fields.string("hook") {
                guard !command.isEmpty else { throw ManifestReader.error(fields.child("hook"), "is empty") }
                hook = command
            }
        }

        /// These settings, with `base`'s where these have none (a subject field by field).
        func merged(over base: Settings) -> Settings {
            var merged = base
            merged.zoneID = zoneID ?? base.zoneID
            merged.validityDays = validityDays ?? base.validityDays
            merged.renewBefore = renewBefore ?? base.renewBefore
            merged.keyType = keyType ?? base.keyType
            merged.rotation = rotation ?? base.rotation
            merged.subject = subject.merged(over: base.subject)
            merged.outputs = outputs ?? base.outputs
            merged.hook = hook ?? base.hook
            merged.status = status ?? base.status
            return merged
        }
    }

    /// Subject fields, each optional until an entry's are merged over the defaults'.
    struct SubjectFields {
        var commonName, organization, organizationalUnit, country, state, locality: String?

        mutating func read(_ fields: inout ManifestReader) throws(CFCertsError) {
            commonName = try fields.string("common_name", maxLength: 64) ?? commonName
            organization = try fields.string("organization", maxLength: 64) ?? organization
            organizationalUnit = try fields.string("organizational_unit", maxLength: 64) ?? organizationalUnit
            country = try fields.string("country", maxLength: 2) ?? country
            state = try fields.string("state", maxLength: 128) ?? state
            locality = try fields.string("locality", maxLength: 128) ?? locality
        }

        var isEmpty: Bool {
            [commonName, organization, organizationalUnit, country, state, locality].allSatisfy { $0 == nil }
        }

        func merged(over base: SubjectFields) -> SubjectFields {
            SubjectFields(commonName: commonName ?? base.commonName, organization: organization ?? base.organization,
                          organizationalUnit: organizationalUnit ?? base.organizationalUnit,
                          country: country ?? base.country, state: state ?? base.state, locality: locality ?? base.locality)
        }
    }

    init(_ value: JSONValue, at path: String, defaults: Settings, baseDirectory: String) throws(CFCertsError) {
        var fields = try ManifestReader(value, at: path)
        guard let name = try fields.string("name", maxLength: 64) else { throw ManifestReader.error(fields.child("name"), "is missing") }
        guard Self.isValidName(name) else {
            throw ManifestReader.error(fields.child("name"), "\"\(name)\" may hold only A-Z a-z 0-9 . _ - (1 to 64, not starting with . or -): it names files")
        }
        let csrPath = try fields.string("csr")
        var own = Settings()
        try own.read(&fields, inheritedOutputs: defaults.outputs, baseDirectory: baseDirectory)
        try fields.finish()
        let merged = own.merged(over: defaults)
        guard let zone = merged.zoneID else {
            throw ManifestReader.error(fields.child("zone"), "is missing (give it here or at the top level)")
        }
        self.name = name
        zoneID = zone
        validityDays = merged.validityDays ?? Self.defaultValidityDays
        renewBefore = merged.renewBefore ?? .default
        if case .seconds(let seconds) = renewBefore, seconds >= Int64(validityDays) * 86_400 {
            throw ManifestReader.error(fields.child("renew_before"), "is \(renewBefore), not shorter than validity_days \(validityDays): every apply would renew it")
        }
        status = merged.status ?? .active
        outputs = merged.outputs ?? FleetOutputs()
        hook = merged.hook
        if let csrPath {
            guard !csrPath.isEmpty else { throw ManifestReader.error(fields.child("csr"), "is empty") }
            guard own.keyType == nil, own.rotation == nil, own.subject.isEmpty else {
                throw ManifestReader.error(fields.child("csr"), "excludes key and subject: with its own CSR, the key is the owner's and the subject the CSR's")
            }
            guard !(own.outputs?.keyExplicit ?? false) else {
                throw ManifestReader.error(fields.child("outputs.files"), "asks for the key, which cfcerts never sees for an entry with its own CSR")
            }
            outputs.files.remove(.key)
            guard !outputs.files.contains(.pkcs12) else {
                throw ManifestReader.error(fields.child("outputs.files"), "asks for a PKCS#12 bundle, which needs the key cfcerts never sees for an entry with its own CSR")
            }
            source = .csr(path: FleetOutputs.absolute(csrPath, from: baseDirectory))
        } else {
            let subject = merged.subject
            guard let commonName = subject.commonName, !commonName.isEmpty else {
                throw ManifestReader.error(fields.child("subject.common_name"), "is missing: an entry needs a subject with a common name, or a csr")
            }
            let csrSubject = CSRSubject(commonName: commonName, organization: subject.organization,
                                        organizationalUnit: subject.organizationalUnit, country: subject.country,
                                        state: subject.state, locality: subject.locality)
            source = .generated(subject: csrSubject, keyType: merged.keyType ?? .p256, rotation: merged.rotation ?? .always)
        }
    }
}

/// The files an entry's certificate is written to, in `folder`: `NAME.pem` (the certificate), `NAME.key` (its
/// key, 0600), `NAME.ca.pem` (the CA chain, copied from `chainFile`), `NAME.p12` (a PKCS#12 device bundle of the
/// certificate, its key and the chain, 0600).
public struct FleetOutputs: Sendable, Hashable {
    public enum File: String, Sendable, Hashable, CaseIterable {
        case certificate, key, chain, pkcs12
    }

    /// How the PKCS#12 bundle is protected: its password from a file (one line) or an environment variable, never
    /// from the manifest itself.
    public struct PKCS12: Sendable, Hashable {
        public var passwordFile: String?
        public var passwordEnvironment: String?
        public var profile: PKCS12Profile

        /// The password, read now.
        func password() throws(CFCertsError) -> String {
            if let passwordFile { return try PKCS12Bundle.password(fromFile: passwordFile, named: "outputs.pkcs12.password_file") }
            let name = passwordEnvironment ?? ""
            guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else {
                throw .invalidArgument("outputs.pkcs12.password_env: the environment has no \(name) (the PKCS#12 bundle's password)")
            }
            return value
        }
    }

    /// The folder (absolute); nil: nothing is written outside the state folder.
    public var folder: String?
    public var files: Set<File>
    /// The CA chain (PEM) the `chain` file is a copy of (absolute), also put in the PKCS#12 bundle. Cloudflare's
    /// API does not hand out its CA.
    public var chainFile: String?
    /// The PKCS#12 bundle's password and profile (required with the `pkcs12` file).
    public var pkcs12: PKCS12?
    /// Whether the manifest named `files` itself (so a `key` asked of an entry with its own CSR is an error).
    var keyExplicit = false

    public init(folder: String? = nil, files: Set<File> = [.certificate, .key], chainFile: String? = nil) {
        self.folder = folder
        self.files = files
        self.chainFile = chainFile
    }

    init(reading fields: inout ManifestReader, over inherited: FleetOutputs?, baseDirectory: String) throws(CFCertsError) {
        self = inherited ?? FleetOutputs()
        keyExplicit = false
        if let folder = try fields.string("dir") {
            guard !folder.isEmpty else { throw ManifestReader.error(fields.child("dir"), "is empty") }
            self.folder = Self.absolute(folder, from: baseDirectory)
        }
        if let list = try fields.array("files", maxCount: File.allCases.count) {
            var files = Set<File>()
            for (index, value) in list.enumerated() {
                guard case .string(let text) = value, let file = File(rawValue: text) else {
                    let allowed = File.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    throw ManifestReader.error(fields.child("files[\(index)]"), "must be one of \(allowed)")
                }
                files.insert(file)
            }
            self.files = files
            keyExplicit = files.contains(.key)
        }
        if let chain = try fields.string("chain_file") {
            chainFile = Self.absolute(chain, from: baseDirectory)
        }
        if files.contains(.chain), chainFile == nil {
            throw ManifestReader.error(fields.child("chain_file"), "is missing: the chain file is a copy of it (the API does not hand out its CA)")
        }
        if var bundle = try fields.object("pkcs12") {
            let file = try bundle.string("password_file")
            let environment = try bundle.string("password_env", maxLength: 256)
            guard (file == nil) != (environment == nil) else {
                throw ManifestReader.error(bundle.path, "needs password_file or password_env (one of them): the password is never written in the manifest")
            }
            pkcs12 = PKCS12(passwordFile: file.map { Self.absolute($0, from: baseDirectory) }, passwordEnvironment: environment,
                            profile: try bundle.choice("profile", PKCS12Profile.self) ?? .modern)
            try bundle.finish()
        }
        if files.contains(.pkcs12), pkcs12 == nil {
            throw ManifestReader.error(fields.child("pkcs12"), "is missing: the pkcs12 file needs its password_file or password_env")
        }
    }

    /// Every file these outputs write for entry `name`, whichever are asked (names must not make two entries'
    /// files meet: an entry `x.ca` writes `x.ca.pem`, entry `x`'s chain).
    func paths(of name: String) -> [String] {
        guard let folder else { return [] }
        return [".pem", ".key", ".ca.pem", ".p12"].map { folder + "/" + name + $0 }
    }

    static func absolute(_ path: String, from base: String) -> String {
        path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base : base + "/") + path
    }
}
