import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a zone's client certificates.",
        discussion: """
            Without --all, one page (--page, --per-page). --expiring-within looks at every page and keeps the \
            certificates that expire within that time from now, expired ones included (days left <= 0), soonest \
            first. On a terminal, --all shows its progress on standard error.

            --output prometheus (every page) writes the Prometheus text format for node_exporter's textfile \
            collector: cfcerts_certificate_expiry_timestamp_seconds{zone,id,common_name,status} (when each \
            certificate expires, Unix seconds) and cfcerts_certificates{zone,status} (how many in each status). \
            Write it to a temporary file and rename it into the collector's folder, so it is never read half-written.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only certificates in this status: active, pending_revocation, revoked, pending_reactivation, or all (the default).")
    var status: String?

    @Flag(help: "Every page, not only one.")
    var all = false

    @Option(help: "The page to show, from 1 (without --all).")
    var page: Int?

    @Option(help: "Certificates per page, 5 to 50 (default: 20 for one page, 50 with --all or --expiring-within, which fetch every page this many at a time).")
    var perPage: Int?

    @Option(help: ArgumentHelp("Only certificates expiring within this time, e.g. 30d, 12h, 2w (implies --all).",
                               valueName: "duration"))
    var expiringWithin: CLIDuration?

    @Option(help: "table, json (an array), jsonl (one certificate a line) or prometheus (expiry metrics of every page).")
    var output: ListOutput = .table

    func validate() throws {
        if let status {
            do throws(CFCertsError) {
                _ = try ClientCertificateStatus.listFilter(status)
            } catch {
                throw ValidationError("--\(error.message)")
            }
        }
        if page != nil, all || expiringWithin != nil || output == .prometheus {
            throw ValidationError("--page shows one page; it cannot go with --all, --expiring-within or --output prometheus")
        }
        if let page, page < 1 { throw ValidationError("--page must be 1 or more") }
        if let perPage, !ClientCertificates.perPageRange.contains(perPage) {
            throw ValidationError("--per-page must be from 5 to 50")
        }
    }

    func run() async throws {
        let zoneID = try connection.zoneID()
        let statusFilter = try status.flatMap(ClientCertificateStatus.listFilter)
        try await connection.makeClient().using { client in
            let certificates = client.clientCertificates
            guard let format = output.format else {
                let expiringBy = expiringWithin.map { Date().addingTimeInterval(Double($0.seconds)) }
                print(try await ExpiryMetrics.collect(from: certificates, zoneID: zoneID, status: statusFilter,
                                                      expiringBy: expiringBy), terminator: "")
                return
            }
            let writer = ListWriter(format: format)
            defer { writer.finish() }
            if let expiringWithin {
                try await listExpiring(certificates, zoneID: zoneID, status: statusFilter, within: expiringWithin,
                                       writer: writer)
            } else if all {
                let progress = ProgressLine(enabled: Terminal.standardErrorIsTerminal)
                let perPage = perPage ?? 50
                var fetched = 0
                for try await certificate in try certificates.list(zoneID: zoneID, status: statusFilter, perPage: perPage) {
                    try writer.add(certificate)
                    fetched += 1
                    if fetched % perPage == 0 { progress.update("fetched \(fetched) certificates (page \(fetched / perPage))") }
                }
                progress.clear()
            } else {
                let answer = try await certificates.listPage(zoneID: zoneID, page: page ?? 1, perPage: perPage ?? 20,
                                                             status: statusFilter)
                for certificate in answer.certificates { try writer.add(certificate) }
            }
        }
    }

    private func listExpiring(_ certificates: ClientCertificates, zoneID: String, status: ClientCertificateStatus?,
                              within: CLIDuration, writer: ListWriter) async throws {
        let limit = Date().addingTimeInterval(Double(within.seconds))
        let progress = ProgressLine(enabled: Terminal.standardErrorIsTerminal)
        var expiring: [(Date, ClientCertificate)] = []
        var fetched = 0
        for try await certificate in try certificates.list(zoneID: zoneID, status: status, perPage: perPage ?? 50) {
            fetched += 1
            if fetched % 50 == 0 { progress.update("checked \(fetched) certificates") }
            if let expires = certificate.expiresOnDate, expires <= limit { expiring.append((expires, certificate)) }
        }
        progress.clear()
        for (_, certificate) in expiring.sorted(by: { $0.0 < $1.0 }) { try writer.add(certificate) }
    }
}

/// list's --output: the common formats, or the Prometheus exposition of every page.
enum ListOutput: String, ExpressibleByArgument, CaseIterable {
    case table, json, jsonl, prometheus

    /// The certificate writer's format; nil for prometheus.
    var format: OutputFormat? { OutputFormat(rawValue: rawValue) }
}
