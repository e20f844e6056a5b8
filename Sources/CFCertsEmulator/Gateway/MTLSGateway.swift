import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// The mTLS gateway: HTTPS on the emulator's host with a server certificate from the emulator's CA for whatever
/// name the SNI asks, asking for (not demanding) a client certificate where the SNI is associated with the managed
/// CA (everywhere with `mtlsEnforce` `.all`), and applying `configuration.mtlsRule` to each request whose Host is
/// associated, as the edge would. Any presented certificate completes the handshake: the verdict is the rule's,
/// per request, from the store.
public struct MTLSGateway: Sendable {
    public let emulator: Emulator
    private let logger: Logger

    public init(emulator: Emulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? EmulatorServer.quietLogger(label: "cfcerts-emulator-mtls")
    }

    /// Starts serving in the background on `configuration.mtlsPort` and returns once the port is bound.
    public func start() async throws -> RunningGateway {
        let configuration = emulator.configuration
        let authority = emulator.store.authority
        var addresses: [[UInt8]] = [[127, 0, 0, 1], Array(repeating: 0, count: 15) + [1]]
        if let bound = try? SocketAddress(ipAddress: configuration.host, port: 0), case .v4(let v4) = bound {
            addresses.append(withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) })
        }
        var hostnames = ["localhost"]
        if (try? SocketAddress(ipAddress: configuration.host, port: 0)) == nil { hostnames.append(configuration.host) }
        let serverCertificates = try ServerCertificates(authority: authority, fallbackHostnames: hostnames,
                                                        fallbackAddresses: addresses)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: serverCertificates.fallback.chain,
                                                           privateKey: serverCertificates.fallback.key)
        // Names the emulator's CA in the certificate request, so clients pick a certificate it issued.
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: try authority.certificate.derBytes(), format: .der)])
        let (associations, enforce, sharedTLS) = (emulator.hostnameAssociations, configuration.mtlsEnforce, tls)
        let upstream = configuration.mtlsUpstream.map(UpstreamProxy.init(baseURL:))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = HTTPServerBuilder { responder in
            try SNIRoutedTLSChannel(HTTP1Channel(responder: responder), configuration: sharedTLS,
                                    serverCertificates: serverCertificates) { serverName in
                enforce == .all || serverName.map(associations.isAssociatedWithManagedCA) == true
            }
        }
        let app = try Application(
            responder: MTLSGatewayResponder(emulator: emulator, upstream: upstream),
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.mtlsPort ?? 0),
                                 serverName: "cloudflare"),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let task = Task {
            do { try await app.run() } catch {}
            await upstream?.shutdown()
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            throw EmulatorServerError.couldNotBind(host: configuration.host, port: configuration.mtlsPort ?? 0)
        }
        return RunningGateway(host: configuration.host, port: port, task: task)
    }
}

/// The gateway serving in the background; `stop()` it when done.
public final class RunningGateway: Sendable {
    public let port: Int
    /// `https://127.0.0.1:PORT/`
    public let url: String
    private let task: Task<Void, Never>

    init(host: String, port: Int, task: Task<Void, Never>) {
        self.port = port
        self.url = "https://\(host.contains(":") ? "[\(host)]" : host):\(port)/"
        self.task = task
    }

    public func stop() async {
        task.cancel()
        await task.value
    }
}

extension Certificate {
    func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}
