import ArgumentParser
import CFCertsEmulator
import Foundation
import Logging

@main
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfcerts-emulator",
        abstract: "A local Cloudflare API Shield client-certificates API with a real CA.",
        discussion: """
            Serves /client/v4/zones/{zone_id}/client_certificates on loopback, faithful enough for Cloudflare's \
            own SDKs (point their base URL at it), and test controls under /__emulator/.

            The first line on standard output is the API base URL (useful with --port 0); the accepted \
            credentials follow. SIGINT or SIGTERM shuts it down.
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 8787

    @Option(name: .customLong("token"), help: "Accepted API token (repeatable; replaces the default).")
    var tokens: [String] = []

    @Option(name: .customLong("read-only-token"),
            help: "Accepted API token that may only list and get (repeatable; replaces the default). Create, revoke and reactivate answer 403 code 10000, as for a token without \"SSL and Certificates Write\".")
    var readOnlyTokens: [String] = []

    @Option(name: .customLong("api-key"), help: "Accepted EMAIL:KEY pair for X-Auth-Email/X-Auth-Key (repeatable; replaces the default).")
    var apiKeys: [String] = []

    @Option(name: .customLong("service-key"), help: "Accepted X-Auth-User-Service-Key (repeatable; replaces the default).")
    var serviceKeys: [String] = []

    @Option(help: "Seconds a certificate stays pending_revocation / pending_reactivation, 0 to 31536000 (a year); 0 settles at once.")
    var transitionDelay: Double = 5

    @Option(help: "Request budget per credential as REQUESTS/SECONDS (1 to 1000000000 requests, 1 to 31536000 seconds).")
    var rateLimit = "1200/300"

    @Flag(help: "Turn rate limiting off.")
    var noRateLimit = false

    @Option(help: "Keep the CA and all certificates in FILE across restarts: an SQLite database (created 0600; each change is committed before it is answered; one emulator at a time: a second one on FILE is refused; at SIGINT or SIGTERM the whole state is written into FILE, no -wal left).")
    var state: String?

    @Option(help: "CA key type for a new CA: rsa2048 or p256.")
    var caKey: CAKeyType = .rsa2048

    @Flag(help: "Serve the test controls (/__emulator/) although --host is not a loopback address: anyone who can reach the port can then reset the emulator or read its request log.")
    var allowRemoteControls = false

    @Option(help: "Serve the mTLS gateway (HTTPS, server certificate from the emulator's CA) on this port; 0 picks a free one. Its URL is printed after the API's.")
    var mtlsPort: Int?

    @Option(help: "The gateway's rule: require-verified (block unless a certificate is presented, verified and not revoked: API Shield's recommended rule) or allow-unverified (let everything through, with the fields).")
    var mtlsRule: MTLSRule = .requireVerified

    @Option(help: "Where the gateway asks for a client certificate and applies its rule: associated (as the edge: only on the hostnames associated with the managed CA, by SNI, and for requests whose Host is one) or all (every connection and request).")
    var mtlsEnforce: MTLSEnforcement = .associated

    @Option(help: "Proxy requests that pass the gateway to this origin (http:// or https:// URL), with Cloudflare's cf-cert-* headers and the RFC 9440 Client-Cert header, instead of answering them.")
    var mtlsUpstream: String?

    @Flag(help: "Log Hummingbird's messages at debug level on standard error.")
    var verbose = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        let longest = Double(EmulatorConfiguration.longestDuration.components.seconds)
        guard transitionDelay.isFinite, (0...longest).contains(transitionDelay) else {
            throw ValidationError("--transition-delay must be from 0 to \(Int(longest)) seconds")
        }
        if !noRateLimit, parsedRateLimit() == nil {
            throw ValidationError("--rate-limit takes REQUESTS/SECONDS, e.g. 1200/300 (1 to \(EmulatorConfiguration.largestRateLimit) requests, 1 to \(Int(longest)) seconds)")
        }
        for pair in apiKeys where !pair.contains(":") { throw ValidationError("--api-key takes EMAIL:KEY") }
        if let mtlsPort, !(0...65535).contains(mtlsPort) { throw ValidationError("--mtls-port must be from 0 to 65535") }
        if mtlsUpstream != nil, mtlsPort == nil { throw ValidationError("--mtls-upstream needs --mtls-port") }
    }

    func run() async throws {
        var configuration = EmulatorConfiguration()
        configuration.host = host
        configuration.port = port
        if !tokens.isEmpty { configuration.tokens = tokens }
        if !readOnlyTokens.isEmpty { configuration.readOnlyTokens = readOnlyTokens }
        if !apiKeys.isEmpty {
            configuration.apiKeys = apiKeys.map { pair in
                let parts = pair.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                return APIKeyCredential(email: String(parts[0]), key: parts.count > 1 ? String(parts[1]) : "")
            }
        }
        if !serviceKeys.isEmpty { configuration.serviceKeys = serviceKeys }
        configuration.transitionDelay = .milliseconds(Int64((transitionDelay * 1000).rounded()))
        configuration.rateLimit = noRateLimit ? nil : parsedRateLimit()
        configuration.statePath = state
        configuration.caKeyType = caKey
        configuration.allowRemoteControls = allowRemoteControls
        configuration.mtlsPort = mtlsPort
        configuration.mtlsRule = mtlsRule
        configuration.mtlsEnforce = mtlsEnforce
        configuration.mtlsUpstream = mtlsUpstream
        if !EmulatorConfiguration.isLoopback(host) {
            let warning = allowRemoteControls
                ? "warning: the test controls under /__emulator/ are served on \(host) to anyone who can reach it (--allow-remote-controls)\n"
                : "note: listening on \(host), not loopback: the test controls under /__emulator/ are off (--allow-remote-controls serves them)\n"
            FileHandle.standardError.write(Data(warning.utf8))
        }

        var logger = Logger(label: "cfcerts-emulator", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = verbose ? .debug : .error
        // A value out of range is a usage error (64); a --state file that cannot be used (damaged, another
        // program's, in use by another emulator) is not: its message alone, exit 1.
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let emulator: Emulator
        do {
            emulator = try Emulator(configuration: configuration)
        } catch let invalid as EmulatorConfiguration.Invalid {
            FileHandle.standardError.write(Data("cfcerts-emulator: \(invalid.description)\n".utf8))
            Foundation.exit(1)
        }
        defer { close(emulator) }
        let server = EmulatorServer(emulator: emulator, logger: logger)
        let gateway = mtlsPort == nil ? nil : try await MTLSGateway(emulator: emulator, logger: logger).start()
        let accepted = configuration
        defer { if let gateway { Task { await gateway.stop() } } }
        try await server.run { port in
            let shownHost = host.contains(":") ? "[\(host)]" : host
            var lines = ["http://\(shownHost):\(port)/client/v4"]
            if let gateway { lines.append("mtls: \(gateway.url) (rule \(accepted.mtlsRule.rawValue), enforced on \(accepted.mtlsEnforce.rawValue) hostnames\(accepted.mtlsUpstream.map { ", upstream \($0)" } ?? ""))") }
            lines += accepted.tokens.map { "token: \($0)" }
            lines += accepted.readOnlyTokens.map { "read-only token: \($0)" }
            lines += accepted.apiKeys.map { "api-key: \($0.email) \($0.key)" }
            lines += accepted.serviceKeys.map { "service-key: \($0)" }
            lines.append("controls: http://\(shownHost):\(port)/__emulator/ (ca.pem, requests, faults, reset, zones/ZONE/seed)")
            // Written unbuffered: scripts read the first line while the emulator keeps running.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }

    /// Closes the --state database once serving is over, so its main file holds the whole state.
    private func close(_ emulator: Emulator) {
        do {
            try emulator.close()
        } catch {
            FileHandle.standardError.write(Data("warning: the state database \(state ?? "") was not checkpointed (\(error)); its -wal file holds the latest changes, and the next start reads them\n".utf8))
        }
    }

    /// The --rate-limit value, or nil when it is malformed or out of range.
    private func parsedRateLimit() -> RateLimitPolicy? {
        let parts = rateLimit.split(separator: "/")
        guard parts.count == 2, let limit = Int(parts[0]), let seconds = Int(parts[1]),
              (1...EmulatorConfiguration.largestRateLimit).contains(limit),
              (1...EmulatorConfiguration.longestDuration.components.seconds).contains(Int64(seconds))
        else { return nil }
        return RateLimitPolicy(limit: limit, window: .seconds(seconds))
    }
}

extension CAKeyType: ExpressibleByArgument {}
extension MTLSRule: ExpressibleByArgument {}
extension MTLSEnforcement: ExpressibleByArgument {}
