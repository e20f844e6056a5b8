import Foundation

/// The state of one emulated API: certificates and CA, request log, armed faults, rate-limit windows.
/// `EmulatorServer` serves it over HTTP.
public final class Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    let store: CertificateStore
    let requestLog = RequestLog()
    let faults = FaultInjector()
    let rateLimiter: RateLimiter
    let authenticator: Authenticator

    /// Opens the emulator's state: from `configuration.statePath` when that file exists, else a new CA.
    public init(configuration: EmulatorConfiguration = .init()) throws {
        self.configuration = configuration
        self.store = try CertificateStore(
            stateFile: configuration.statePath.map(StateFile.init(path:)), keyType: configuration.caKeyType)
        self.rateLimiter = RateLimiter(policy: configuration.rateLimit)
        self.authenticator = Authenticator(configuration: configuration)
    }

    /// The CA certificate (PEM) that signs every issued certificate, for `openssl verify -CAfile`.
    public var caCertificatePEM: String { store.authority.certificatePEM }

    /// Forgets certificates, faults, the request log and rate-limit windows; keeps the CA.
    public func reset() throws {
        try store.reset()
        faults.clear()
        requestLog.clear()
        rateLimiter.reset()
    }
}
