import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// TLS for the gateway's connections, decided by each client hello's SNI, as Cloudflare's edge does: a client
/// certificate is asked for only when `asksForCertificate(serverName)` says so (the name is associated with the
/// CA), with the CA named in the request; the server certificate is the SNI name's own. The HTTP channel comes after.
struct SNIRoutedTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    typealias Value = BaseChannel.Value

    let base: BaseChannel
    /// Asks for a client certificate (and names the CA); `notAsking` does not.
    let asking: NIOSSLContext
    let notAsking: NIOSSLContext
    let asksForCertificate: @Sendable (String?) -> Bool

    /// `configuration` is the TLS set-up both share (its verification mode is set here); `serverCertificates`
    /// answers each SNI name with a certificate of its own.
    init(_ base: BaseChannel, configuration: TLSConfiguration, serverCertificates: ServerCertificates,
         asksForCertificate: @escaping @Sendable (String?) -> Bool) throws {
        var configuration = configuration
        configuration.sslContextCallback = { values, promise in
            let identity = serverCertificates.identity(for: values.serverHostname)
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = identity.chain
            override.privateKey = identity.key
            promise.succeed(override)
        }
        configuration.certificateVerification = .optionalVerification
        configuration.sendCANameList = true
        asking = try NIOSSLContext(configuration: configuration)
        configuration.certificateVerification = .none
        configuration.sendCANameList = false
        notAsking = try NIOSSLContext(configuration: configuration)
        self.base = base
        self.asksForCertificate = asksForCertificate
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let (asking, notAsking, asks) = (asking, notAsking, asksForCertificate)
        let sniHandler = ByteToMessageHandler(SNIHandler { result in
            let serverName: String? = if case .hostname(let name) = result { name } else { nil }
            // Any presented certificate completes the handshake: the verdict is the rule's, per request.
            let handler = NIOSSLServerHandler(
                context: asks(serverName) ? asking : notAsking,
                customVerificationCallback: { _, promise in promise.succeed(.certificateVerified) },
                configuration: .init())
            // After the SNI handler, which passes the client hello on once this future succeeds.
            return channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(handler, position: .after(try pipeline.context(name: Self.sniHandlerName).handler))
            }
        })
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(sniHandler, name: Self.sniHandlerName)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    private static var sniHandlerName: String { "cfcerts-sni" }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
