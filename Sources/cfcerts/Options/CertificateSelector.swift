import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `--all` and its filters: which of a zone's certificates a bulk command acts on.
struct SelectionOptions: ParsableArguments {
    @Flag(help: "Every certificate of the zone that matches the filters (with none: every one the operation applies to).")
    var all = false

    @Option(help: ArgumentHelp("With --all: only this status (default: active for revoke, pending_revocation for reactivate).",
                               valueName: "status"))
    var status: String?

    @Option(help: ArgumentHelp("With --all: only common names matching this shell pattern, e.g. 'device-*.example.com'.",
                               valueName: "glob"))
    var cn: String?

    @Option(help: ArgumentHelp("With --all: only certificates expiring within this time, e.g. 30d (expired ones too).",
                               valueName: "duration"))
    var expiringWithin: CLIDuration?

    @Option(help: ArgumentHelp("With --all: only certificates issued before this date (YYYY-MM-DD, UTC midnight, or RFC 3339).",
                               valueName: "date"))
    var issuedBefore: String?

    var hasFilters: Bool { status != nil || cn != nil || expiringWithin != nil || issuedBefore != nil }

    func validate() throws {
        if hasFilters, !all { throw ValidationError("--status, --cn, --expiring-within and --issued-before filter --all; pass --all too") }
        if let status, !ClientCertificateStatus.documented.map(\.rawValue).contains(status) {
            throw ValidationError("--status must be one of: active, pending_revocation, revoked, pending_reactivation")
        }
        if let issuedBefore, Self.date(issuedBefore) == nil {
            throw ValidationError("--issued-before takes YYYY-MM-DD or an RFC 3339 time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z")
        }
    }

    /// The filters as given, `defaultStatus` standing in for a missing --status.
    func filter(defaultStatus: ClientCertificateStatus) -> CertificateFilter {
        CertificateFilter(status: status.map(ClientCertificateStatus.init(rawValue:)) ?? defaultStatus, commonName: cn,
                          expiringWithin: expiringWithin, issuedBefore: issuedBefore.flatMap(Self.date))
    }

    /// `YYYY-MM-DD` (UTC midnight) or an RFC 3339 time.
    static func date(_ text: String) -> Date? {
        if text.utf8.count == 10, let date = ClientCertificate.parseDate(text + "T00:00:00Z") { return date }
        return ClientCertificate.parseDate(text)
    }
}

/// Which of a zone's certificates a command acts on: one status, and optionally a common-name pattern, an expiry
/// window (expired certificates included) and an issue date.
struct CertificateFilter {
    var status: ClientCertificateStatus
    var commonName: String? = nil
    var expiringWithin: CLIDuration? = nil
    var issuedBefore: Date? = nil

    /// In words, for messages: "active certificates expiring within 30d with a common name matching 'edge-*'".
    var summary: String {
        var text = "\(status.rawValue) certificates"
        if let expiringWithin { text += " expiring within \(expiringWithin.text)" }
        if let issuedBefore { text += " issued before \(issuedBefore.formatted(.iso8601))" }
        if let commonName { text += " with a common name matching '\(commonName)'" }
        return text
    }

    /// The zone's certificates that match, listed once (every page), in the API's order.
    func select(from certificates: ClientCertificates, zoneID: String) async throws -> [ClientCertificate] {
        let now = Date()
        let expiresBy = expiringWithin.map { now.addingTimeInterval(Double($0.seconds)) }
        let progress = ProgressLine(enabled: Terminal.standardErrorIsTerminal)
        defer { progress.clear() }
        var selected: [ClientCertificate] = []
        var checked = 0
        for try await certificate in try certificates.list(zoneID: zoneID, status: status, perPage: 50, prefetchPages: 4) {
            checked += 1
            if checked % 250 == 0 { progress.update("selecting: checked \(checked) certificates") }
            guard certificate.status == status else { continue }
            if let commonName, fnmatch(commonName, certificate.commonName, 0) != 0 { continue }
            if let expiresBy { guard let expires = certificate.expiresOnDate, expires <= expiresBy else { continue } }
            if let issuedBefore { guard let issued = certificate.issuedOnDate, issued < issuedBefore else { continue } }
            selected.append(certificate)
        }
        return selected
    }
}
