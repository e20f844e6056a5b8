import Foundation

/// The state of one emulated API: certificates and CA, request log, armed faults, rate-limit windows.
/// `EmulatorServer` serves it over HTTP.
public final class Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    let store: CertificateStore
    let hostnameAssociations: HostnameAssociationStore
    let requestLog = RequestLog()
    let faults = FaultInjector()
    let rateLimiter: RateLimiter
    let authenticator: Authenticator

    /// Opens the emulator's state: from `configuration.statePath` when that file exists, else a new CA.
    /// Throws `EmulatorConfiguration.Invalid` for a value out of range.
    public init(configuration: EmulatorConfiguration = .init()) throws {
        try configuration.validate()
        self.configuration = configuration
        self.store = try CertificateStore(
            database: try configuration.statePath.map(StateDatabase.init(path:)), keyType: configuration.caKeyType)
        self.hostnameAssociations = try HostnameAssociationStore(persistence: store)
        self.rateLimiter = RateLimiter(policy: configuration.rateLimit)
        self.authenticator = Authenticator(configuration: configuration)
    }

    /// Closes the `--state` database once serving is over: its whole state is then in its main file (the file a
    /// user copies or backs up), and another emulator may open it. Call it last: later changes fail (1500).
    /// Closing twice is harmless. Without it the database is closed when the emulator is freed, and after a crash
    /// SQLite recovers it from its `-wal` at the next start. Throws when the checkpoint fails.
    public func close() throws {
        try store.close()
    }

    /// The CA certificate (PEM) that signs every issued certificate, for `openssl verify -CAfile`.
    public var caCertificatePEM: String { store.authority.certificatePEM }

    /// Forgets certificates, hostname associations, faults, the request log and rate-limit windows; keeps the CA.
    public func reset() throws {
        try store.reset()
        try hostnameAssociations.reset()
        faults.clear()
        requestLog.clear()
        rateLimiter.reset()
    }

    /// Arms a fault (what `POST /__emulator/faults` does). Throws for a value out of range (see `Fault.validate`).
    public func arm(_ fault: Fault) throws {
        try fault.validate()
        faults.arm(fault)
    }

    /// Forgets every armed fault (what `DELETE /__emulator/faults` does).
    public func disarmFaults() {
        faults.clear()
    }

    /// The API requests received so far, oldest first (what `GET /__emulator/requests` returns).
    public var receivedRequests: [RequestLog.Entry] { requestLog.all }

    public func clearReceivedRequests() {
        requestLog.clear()
    }

    /// The most certificates one seed call adds.
    public static let maxSeed = 1_000_000
    /// The longest common name prefix of seeded certificates, in bytes.
    public static let maxSeedPrefixBytes = 64
    /// How far back a seeded certificate's issue date may go (`issued_days_ago`), to have some due or expired.
    public static let maxSeedAgeDays = 36_500

    /// Adds `count` certificates to a zone (what `POST /__emulator/zones/{zone}/seed` does); they are named
    /// `<commonNamePrefix>-<n>` and signed on first read.
    public func seed(zoneID: String, count: Int, status: String = "active", commonNamePrefix: String = "seed",
                     validityDays: Int = 3650, issuedDaysAgo: Int = 0) throws {
        guard EmulatorResponder.isZoneID(zoneID) else { throw ControlError("zone id must be 32 lower-case hex digits") }
        guard (1...Self.maxSeed).contains(count) else { throw ControlError("count must be from 1 to \(Self.maxSeed)") }
        let limit = configuration.maxCertificatesPerZone
        guard store.count(zone: zoneID) + count <= limit else {
            throw ControlError("seeding may fill a zone up to \(limit) certificates; it has \(store.count(zone: zoneID))")
        }
        guard (1...Self.maxSeedPrefixBytes).contains(commonNamePrefix.utf8.count),
              !commonNamePrefix.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw ControlError("common_name_prefix must be 1 to \(Self.maxSeedPrefixBytes) bytes without control characters") }
        guard let status = CertificateStatus(rawValue: status) else { throw ControlError("unknown status \(status)") }
        guard APIError.validityDaysRange.contains(validityDays) else { throw ControlError("validity_days out of range") }
        guard (0...Self.maxSeedAgeDays).contains(issuedDaysAgo) else {
            throw ControlError("issued_days_ago must be from 0 to \(Self.maxSeedAgeDays)")
        }
        try store.seed(zone: zoneID, count: count, status: status, commonNamePrefix: commonNamePrefix,
                       validityDays: validityDays, now: Date().addingTimeInterval(-Double(issuedDaysAgo) * 86_400))
    }

    /// Ends every pending transition now (what `POST /__emulator/settle` does).
    public func settleTransitions() throws {
        try store.settleAll()
    }
}
