import CFCerts
import Prometheus
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `list --output prometheus`: the zone's certificates in the Prometheus text exposition format, for
/// node_exporter's textfile collector. swift-prometheus writes the HELP and TYPE lines and escapes label values.
///
///     cfcerts_certificate_expiry_timestamp_seconds{zone,id,common_name,status}  when each certificate expires
///     cfcerts_certificates{zone,status}                                         how many are in each status
struct ExpiryMetrics {
    let zoneID: String
    private let registry = PrometheusCollectorRegistry()
    private var counts: [String: Int]

    /// `statuses`: those listed (each gets a count, 0 when it has none).
    init(zoneID: String, statuses: [ClientCertificateStatus]) {
        self.zoneID = zoneID
        counts = Dictionary(statuses.map { ($0.rawValue, 0) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func add(_ certificate: ClientCertificate) {
        counts[certificate.status.rawValue, default: 0] += 1
        // A certificate whose date cannot be read is counted, and has no expiry sample (never a made-up time).
        guard let expires = certificate.expiresOnDate?.timeIntervalSince1970, expires.isFinite else { return }
        registry.makeGauge(
            descriptor: Self.expiry,
            labels: [("zone", zoneID), ("id", certificate.id), ("common_name", certificate.commonName),
                     ("status", certificate.status.rawValue)]
        ).set(expires)
    }

    private static var expiry: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "cfcerts", metricName: "certificate_expiry_timestamp", unitName: "seconds",
        helpText: "When the client certificate expires, in seconds since the Unix epoch.") }
    private static var count: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "cfcerts", metricName: "certificates", unitName: "",
        helpText: "Client certificates of the zone in each status.") }

    /// The zone's certificates (those in `status`, expiring by `expiringBy` when given), every page, as metrics.
    static func collect(from certificates: ClientCertificates, zoneID: String, status: ClientCertificateStatus?,
                        expiringBy: Date? = nil) async throws -> String {
        var metrics = ExpiryMetrics(zoneID: zoneID, statuses: status.map { [$0] } ?? ClientCertificateStatus.documented)
        for try await certificate in try certificates.list(zoneID: zoneID, status: status, perPage: 50, prefetchPages: 4) {
            if let expiringBy { guard let expires = certificate.expiresOnDate, expires <= expiringBy else { continue } }
            metrics.add(certificate)
        }
        return metrics.render()
    }

    /// The exposition.
    func render() -> String {
        for (status, count) in counts {
            registry.makeGauge(descriptor: Self.count, labels: [("zone", zoneID), ("status", status)]).set(Double(count))
        }
        return registry.emitToString()
    }
}
