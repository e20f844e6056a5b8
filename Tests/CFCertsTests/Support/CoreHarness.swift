import CFCerts
import CFCertsEmulator
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A `CFCertsClient` talking to an emulator started in-process on a free loopback port.
struct CoreHarness {
    let running: RunningEmulator
    let client: CFCertsClient
    let logs: CapturedLogs
    var emulator: Emulator { running.emulator }
    let zone = CoreHarness.newZone()

    /// Runs `body` with a fresh emulator and client, and stops both afterwards whatever happens.
    /// Retries back off 10 ms (instead of 0.5 s) so retry tests stay quick.
    static func with<T>(
        emulator configureEmulator: (inout EmulatorConfiguration) -> Void = { _ in },
        client configureClient: (inout Configuration) -> Void = { _ in },
        _ body: (CoreHarness) async throws -> T
    ) async throws -> T {
        var emulatorConfiguration = EmulatorConfiguration()
        emulatorConfiguration.caKeyType = .p256
        emulatorConfiguration.transitionDelay = .seconds(3600)
        configureEmulator(&emulatorConfiguration)
        let running = try await EmulatorServer(emulator: try Emulator(configuration: emulatorConfiguration)).start()
        let logs = CapturedLogs()
        var configuration = Configuration(
            credentials: .apiToken(EmulatorConfiguration.defaultToken), baseURL: running.baseURL, logger: logs.logger)
        configuration.initialBackoff = .milliseconds(10)
        configuration.maxBackoff = .milliseconds(40)
        configureClient(&configuration)
        let harness: CoreHarness
        do {
            harness = CoreHarness(running: running, client: try CFCertsClient(configuration: configuration), logs: logs)
        } catch {
            await running.stop()
            throw error
        }
        do {
            let result = try await body(harness)
            try await harness.client.shutdown()
            await running.stop()
            return result
        } catch {
            try? await harness.client.shutdown()
            await running.stop()
            throw error
        }
    }

    /// API requests the emulator received (method + path + query).
    var requests: [RequestLog.Entry] { emulator.receivedRequests }

    static func newZone() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// A certificate created from a generated P-256 CSR.
    func createCertificate(commonName: String = "client.example.com") async throws -> ClientCertificate {
        let generated = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: commonName))
        return try await client.clientCertificates.create(zoneID: zone, csr: generated.csrPEM, validityDays: 365)
    }
}

/// Every log line a client writes, at debug level, for assertions.
final class CapturedLogs: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "cfcerts-test", factory: { _ in Handler(logs: self) })
        logger.logLevel = .debug
        return logger
    }

    var all: [String] { lines.withLockedValue { $0 } }

    fileprivate func append(_ line: String) { lines.withLockedValue { $0.append(line) } }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            logs.append("\(event.level) \(event.message) \(merged.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
        }
    }
}
