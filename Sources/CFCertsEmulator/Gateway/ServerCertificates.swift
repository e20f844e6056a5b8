import Foundation
import NIOConcurrencyHelpers
import NIOSSL

/// The gateway's server certificates: one from the emulator's CA for whatever name a client's SNI asks, made on
/// first use and kept (so `curl --resolve NAME:PORT:127.0.0.1 --cacert ca.pem` verifies for any NAME), and the
/// default one for loopback addresses and clients that send no SNI.
final class ServerCertificates: Sendable {
    typealias Identity = (chain: [NIOSSLCertificateSource], key: NIOSSLPrivateKeySource)

    /// The most names kept; past it the oldest half is dropped (a client cannot grow the cache without bound).
    static let maxNames = 1_000

    private let authority: CertificateAuthority
    private let cache = NIOLockedValueBox<[String: Identity]>([:])
    private let order = NIOLockedValueBox<[String]>([])
    let fallback: Identity

    init(authority: CertificateAuthority, fallbackHostnames: [String], fallbackAddresses: [[UInt8]]) throws {
        self.authority = authority
        fallback = try Self.identity(authority: authority, hostnames: fallbackHostnames, addresses: fallbackAddresses)
    }

    /// The identity for `serverName` (an SNI hostname, lower-cased); the fallback for nil or a name that is not a
    /// hostname.
    func identity(for serverName: String?) -> Identity {
        guard var name = serverName?.lowercased() else { return fallback }
        if name.hasSuffix(".") { name.removeLast() }  // the root's dot: the same name
        guard HostnameAssociationRoutes.isHostname(name), !name.contains("*") else { return fallback }
        if let known = cache.withLockedValue({ $0[name] }) { return known }
        guard let made = try? Self.identity(authority: authority, hostnames: [name], addresses: []) else { return fallback }
        cache.withLockedValue { cache in
            if cache.count >= Self.maxNames {
                let dropped = order.withLockedValue { order -> [String] in
                    let oldest = Array(order.prefix(order.count / 2))
                    order.removeFirst(oldest.count)
                    return oldest
                }
                for old in dropped { cache[old] = nil }
            }
            if cache.updateValue(made, forKey: name) == nil { order.withLockedValue { $0.append(name) } }
        }
        return made
    }

    private static func identity(authority: CertificateAuthority, hostnames: [String], addresses: [[UInt8]]) throws -> Identity {
        let (certificate, key) = try authority.issueServerCertificate(hostnames: hostnames, addresses: addresses)
        return ([.certificate(try NIOSSLCertificate(bytes: try certificate.derBytes(), format: .der))],
                .privateKey(try NIOSSLPrivateKey(bytes: Array(key.derRepresentation), format: .der)))
    }
}
