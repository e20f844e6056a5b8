import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The folder `renew --due` writes to (--out-dir), which is also its memory between runs:
///
/// - `NEW.pem` and `NEW.key` (0600): a renewed certificate and its private key, named by the new certificate's id.
/// - `OLD.pending.key` (0600) and `OLD.pending.csr`: the renewal of certificate OLD under way, written before its
///   request. A run started again sends the same CSR, so the journal finds the certificate an earlier run had
///   issued instead of issuing another.
/// - `OLD.renewed`: JSON, written once NEW.pem is: OLD was renewed as NEW, whether the hook succeeded and the old
///   certificate is revoked. Later runs skip OLD, or finish what it lacks (a failed hook is run again).
///
/// - `.renew-lock`: held (a `fcntl` write lock) by the run that uses the folder; a second run is refused at once.
///
/// Every file is written whole or not at all (to a `NAME.partial-…` of its own, flushed, renamed). The folder must
/// be the user's own and writable by nobody else: keys are written there and pending requests read back from it.
struct RenewalFolder {
    let path: String

    /// The record of one renewal, kept as `OLD.renewed`.
    struct Record: Codable, Equatable {
        enum Hook: String, Codable {
            /// No --deploy-hook was given.
            case none
            /// Not run yet, or the run was killed while it ran.
            case pending
            case succeeded
            case failed
        }

        var oldID: String
        var newID: String
        var commonName: String
        var expiresOn: String
        var renewedAt: String
        var hook: Hook
        var oldRevoked: Bool

        enum CodingKeys: String, CodingKey {
            case oldID = "old_id", newID = "new_id", commonName = "common_name", expiresOn = "expires_on"
            case renewedAt = "renewed_at", hook, oldRevoked = "old_revoked"
        }
    }

    func certificatePath(_ newID: String) -> String { path + "/" + newID + ".pem" }
    func keyPath(_ newID: String) -> String { path + "/" + newID + ".key" }
    private func pendingKeyPath(_ oldID: String) -> String { path + "/" + oldID + ".pending.key" }
    private func pendingCSRPath(_ oldID: String) -> String { path + "/" + oldID + ".pending.csr" }
    private func recordPath(_ oldID: String) -> String { path + "/" + oldID + ".renewed" }

    /// Creates the folder (0700) when it is missing; fails when it is not a writable folder of this user's that
    /// nobody else may write to.
    func prepare() throws {
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw CLIFailure("cannot create --out-dir \(path): \(String(cString: strerror(errno)))", status: .file)
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw CLIFailure("--out-dir \(path) is not a folder", status: .file)
        }
        let why = "keys are written there and pending requests read back from it"
        guard info.st_uid == geteuid() else {
            throw CLIFailure("--out-dir \(path) is owned by uid \(info.st_uid), not by this user (uid \(geteuid())): \(why); "
                + "use a folder of your own", status: .file)
        }
        guard info.st_mode & 0o022 == 0 else {
            throw CLIFailure("--out-dir \(path) is writable by others (mode \(String(info.st_mode & 0o777, radix: 8))): \(why); "
                + "chmod go-w \(path)", status: .file)
        }
        guard access(path, W_OK) == 0 else { throw CLIFailure("--out-dir \(path) is not writable", status: .file) }
    }

    /// The run's hold on the folder, until `release()` or the end of the process.
    struct Lock {
        fileprivate let descriptor: Int32

        func release() { close(descriptor) }
    }

    /// Takes the folder for this run, or fails at once (exit 14) when another run holds it: two runs on one
    /// folder would issue two certificates for one renewal or lose a key. A `fcntl` lock is the process's and ends
    /// when any descriptor of its file is closed: only this one is ever opened.
    func lock() throws -> Lock {
        let file = path + "/.renew-lock"
        let descriptor = open(file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CLIFailure("cannot open \(file): \(String(cString: strerror(errno)))", status: .file)
        }
        var whole = flock()
        whole.l_type = Int16(F_WRLCK)
        whole.l_whence = Int16(SEEK_SET)
        guard fcntl(descriptor, F_SETLK, &whole) == 0 else {
            let reason = errno
            close(descriptor)
            if reason == EAGAIN || reason == EACCES {
                throw CLIFailure("--out-dir \(path) is in use by another run of `cfcerts renew --due`; run again once it ends",
                                 status: .inUse)
            }
            throw CLIFailure("cannot lock \(file): \(String(cString: strerror(reason)))", status: .file)
        }
        return Lock(descriptor: descriptor)
    }

    /// Finishes what killed runs left, under the lock: moves each recorded renewal's pending key to its new name
    /// (whether or not the old certificate is still due) and removes their partial files.
    func tidy() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.contains(OutputFile.partialMarker) {
            unlink(path + "/" + name)
        }
        for name in names where name.hasSuffix(".pending.key") {
            let oldID = String(name.dropLast(".pending.key".count))
            // An unreadable record is reported when its certificate is due.
            guard Self.isSafeName(oldID), let record = try? record(of: oldID) else { continue }
            try settleKey(of: record)
        }
    }

    /// Ids become file names: only the API's id characters, so a server's answer can never name another path.
    static func isSafeName(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                     UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
                default: false
                }
            }
    }

    /// The earlier renewal of `oldID`, if one was recorded. An unreadable record fails: guessing could renew twice.
    func record(of oldID: String) throws -> Record? {
        let file = recordPath(oldID)
        guard access(file, F_OK) == 0 else { return nil }
        guard let record = try? JSONDecoder().decode(Record.self, from: Data(OutputFile.read(file).utf8)),
              record.oldID == oldID
        else {
            throw CLIFailure("\(file) is not a renewal record of cfcerts; move it away to renew \(oldID) again", status: .file)
        }
        return record
    }

    func save(_ record: Record) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
        try OutputFile.writeWhole(text, to: recordPath(record.oldID), secret: false)
    }

    /// The CSR to send for `old`'s renewal: the one an earlier run left pending, else a new key (written 0600
    /// first) and a CSR with `old`'s subject. Nothing is sent before both are on disk.
    func pendingRequest(for old: ClientCertificate, keyType: CertificateSigningRequests.KeyType) throws -> String {
        let keyFile = pendingKeyPath(old.id), csrFile = pendingCSRPath(old.id)
        if access(keyFile, F_OK) == 0, access(csrFile, F_OK) == 0 { return try OutputFile.read(csrFile) }
        let generated = try CertificateSigningRequests.generate(subject: RenewCommand.subject(of: old), keyType: keyType)
        try OutputFile.writeWhole(generated.privateKeyPEM, to: keyFile, secret: true)
        try OutputFile.writeWhole(generated.csrPEM, to: csrFile, secret: false)
        return generated.csrPEM
    }

    /// Saves the renewed certificate as `NEW.pem`, records the renewal (hook pending), moves the pending key to
    /// `NEW.key` and drops the pending CSR. Safe to repeat after a kill at any step.
    func install(_ renewed: ClientCertificate, replacing old: ClientCertificate, hook: Record.Hook) throws -> Record {
        try OutputFile.writeWhole(renewed.certificate + "\n", to: certificatePath(renewed.id), secret: false)
        let record = Record(oldID: old.id, newID: renewed.id, commonName: renewed.commonName,
                            expiresOn: renewed.expiresOn, renewedAt: Self.now(), hook: hook, oldRevoked: false)
        try save(record)
        try settleKey(of: record)
        return record
    }

    /// Moves a pending key still there (a run killed after recording) to the new certificate's name.
    private func settleKey(of record: Record) throws {
        let pendingKey = pendingKeyPath(record.oldID)
        if access(pendingKey, F_OK) == 0 {
            guard rename(pendingKey, keyPath(record.newID)) == 0 else {
                throw CLIFailure("cannot move \(pendingKey) to \(keyPath(record.newID)): \(String(cString: strerror(errno)))",
                                 status: .file)
            }
        }
        unlink(pendingCSRPath(record.oldID))
    }

    private static func now() -> String {
        Date().formatted(.iso8601)
    }
}
