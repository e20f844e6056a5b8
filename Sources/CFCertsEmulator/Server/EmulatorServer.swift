import Foundation
import Hummingbird
import Logging
import NIOCore

/// Serves an `Emulator` over HTTP/1.1 with Hummingbird.
public struct EmulatorServer: Sendable {
    public let emulator: Emulator
    private let logger: Logger

    /// `logger` receives Hummingbird's own messages; by default only critical ones, on standard error (stopping
    /// an in-process server by cancellation makes Hummingbird log errors that are no fault).
    public init(emulator: Emulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? Self.quietLogger(label: "cfcerts-emulator")
    }

    /// Hummingbird's critical messages only, on standard error.
    static func quietLogger(label: String) -> Logger {
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .critical
        return logger
    }

    func application(onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        Application(
            responder: EmulatorResponder(emulator: emulator),
            configuration: .init(
                address: .hostname(emulator.configuration.host, port: emulator.configuration.port),
                serverName: "cloudflare"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully. `onRunning` gets the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(onRunning: onRunning).runService()
    }

    /// Starts serving in the background (for tests and embedding) and returns once the port is bound.
    public func start() async throws -> RunningEmulator {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = application { port in continuation.yield(port) }
        let task = Task {
            do { try await app.run() } catch {}
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            throw EmulatorServerError.couldNotBind(host: emulator.configuration.host, port: emulator.configuration.port)
        }
        return RunningEmulator(emulator: emulator, host: emulator.configuration.host, port: port, task: task)
    }
}

/// An emulator serving in the background; `stop()` it when done.
public final class RunningEmulator: Sendable {
    public let emulator: Emulator
    public let port: Int
    /// `http://127.0.0.1:PORT`
    public let rootURL: String
    /// The API base URL, `http://127.0.0.1:PORT/client/v4` (what `CLOUDFLARE_BASE_URL` takes).
    public let baseURL: String
    private let task: Task<Void, Never>

    init(emulator: Emulator, host: String, port: Int, task: Task<Void, Never>) {
        self.emulator = emulator
        self.port = port
        self.rootURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        self.baseURL = rootURL + EmulatorResponder.apiPrefix
        self.task = task
    }

    /// Stops serving and waits until the listener is closed.
    public func stop() async {
        task.cancel()
        await task.value
    }
}

public enum EmulatorServerError: Error, CustomStringConvertible {
    case couldNotBind(host: String, port: Int)

    public var description: String {
        switch self {
        case .couldNotBind(let host, let port): "could not listen on \(host):\(port)"
        }
    }
}
