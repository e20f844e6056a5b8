/// The entry point: one client per set of credentials, shared freely between tasks.
///
/// ```swift
/// let client = try CFCertsClient(configuration: .fromEnvironment())
/// for try await certificate in try client.clientCertificates.list(zoneID: zone) { print(certificate.commonName) }
/// try await client.shutdown()
/// ```
/// Call `shutdown()` before the client is released: it closes the connection pool.
public final class CFCertsClient: Sendable {
    /// The configuration the client was made with.
    public let configuration: Configuration
    /// The `/zones/{zone_id}/client_certificates` endpoints.
    public let clientCertificates: ClientCertificates
    /// `/zones/{zone_id}/certificate_authorities/hostname_associations`: where client certificates are asked for.
    public let hostnameAssociations: HostnameAssociations
    private let transport: Transport

    /// Checks `configuration` (credentials, base URL, limits) and opens a connection pool.
    public init(configuration: Configuration) throws(CFCertsError) {
        self.configuration = configuration
        self.transport = try Transport(configuration: configuration)
        self.clientCertificates = ClientCertificates(transport: transport)
        self.hostnameAssociations = HostnameAssociations(transport: transport)
    }

    /// How many answers 429 (rate limited) this client has received: 0 while pacing keeps to the budget.
    public var rateLimitedAnswers: Int { transport.rateLimitedAnswers }

    /// Closes every connection and waits until they are closed. The client cannot be used afterwards.
    public func shutdown() async throws {
        try await transport.shutdown()
    }
}
