import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `cfcerts mtls rule`: the WAF rule that makes the associated hostnames enforce client certificates.
struct MTLSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtls", abstract: "What enforces mTLS at Cloudflare's edge.", subcommands: [Rule.self])

    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rule",
            abstract: "Print the rule that blocks requests to the associated hostnames without a valid, unrevoked certificate of the CA.",
            discussion: """
                The expression blocks a request to an associated hostname unless its client certificate verifies, \
                is not revoked (a revoked certificate still verifies: without cf.tls_client_auth.cert_revoked a \
                revoke changes nothing at the edge) and was issued by the CA whose key identifier it pins \
                (cf.tls_client_auth.cert_issuer_ski). The key identifier is read from a certificate of the zone \
                (its issuer's, not the API's `ski`, which is the certificate's own) unless --ski gives it. Deploy \
                it as a custom rule (Rulesets API, http_request_firewall_custom phase) or with Terraform's \
                cloudflare_ruleset: --json prints {"action", "expression", "description"}, the shape both take.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: ArgumentHelp("The 36-character id of a CA uploaded to mTLS certificate management whose hostnames the rule guards (default: the Cloudflare-managed CA's).",
                                   valueName: "id"))
        var mtlsCertificateID: String?

        @Option(help: ArgumentHelp("The issuing CA's key identifier, hex (default: read from a certificate of the zone, the managed CA's; required with --mtls-certificate-id).",
                                   valueName: "hex"))
        var ski: String?

        @Flag(help: "Print {\"action\":\"block\",\"expression\":...,\"description\":...} instead of the expression alone.")
        var json = false

        func run() async throws {
            // The zone's certificates are the managed CA's: their issuer is no BYO CA's key.
            if mtlsCertificateID != nil, ski == nil {
                throw CLIFailure("--mtls-certificate-id needs --ski: the key identifier of that CA (openssl x509 -in ca.pem -noout -ext subjectKeyIdentifier); the zone's certificates are the managed CA's")
            }
            let zoneID = try connection.zoneID()
            let (id, given) = (mtlsCertificateID, ski)
            let rule = try await connection.makeClient().using { client in
                let hostnames = try await client.hostnameAssociations.get(zoneID: zoneID, mtlsCertificateID: id)
                guard !hostnames.isEmpty else {
                    throw CLIFailure("no hostname is associated with the CA in zone \(zoneID): associate them first (cfcerts hostnames add HOST)")
                }
                let identifier: String
                if let given {
                    identifier = given
                } else {
                    identifier = try await Self.issuerKeyIdentifier(client: client, zoneID: zoneID)
                }
                return try MTLSEnforcementRule(hostnames: hostnames, issuerKeyIdentifier: identifier)
            }
            guard json else {
                print(rule.expression)
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
            let body = ["action": "block", "expression": rule.expression, "description": rule.description]
            print(String(decoding: try encoder.encode(body), as: UTF8.self))
        }

        /// The issuer's key identifier of the zone's first certificate (every certificate of the managed CA has
        /// the same issuer).
        static func issuerKeyIdentifier(client: CFCertsClient, zoneID: String) async throws -> String {
            let page = try await client.clientCertificates.listPage(zoneID: zoneID, page: 1, perPage: 5)
            guard let certificate = page.certificates.first(where: { !$0.certificate.isEmpty }) else {
                throw CLIFailure("zone \(zoneID) has no certificate to read the CA's key identifier from: pass --ski HEX")
            }
            return try MTLSEnforcementRule.issuerKeyIdentifier(ofCertificatePEM: certificate.certificate)
        }
    }
}
