import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How results are written to standard output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned columns (lists) or `name: value` lines (one certificate), for people.
    case table
    /// One JSON document: an array of certificates (lists) or one certificate, in the API's own shape.
    case json
    /// One certificate per line as JSON, for `jq` and streaming.
    case jsonl
}

#if canImport(Glibc)
import Glibc
#endif

/// Standard error, written at once (unbuffered), for progress and failure lines.
enum StandardError {
    static func write(_ text: String) {
        _ = OutputFile.writeAll(text, to: STDERR_FILENO)
    }

    /// `write`, once what was printed to standard output is out: a summary after the lines it sums up, also when
    /// both go to one pipe.
    static func writeAfterOutput(_ text: String) {
        fflush(nil)  // every output stream: stdout is a global Swift 6 cannot reach safely
        write(text)
    }
}

enum Terminal {
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// Writes certificates in the chosen format; a list streams as it is fetched (except `json`, one document).
struct CertificateWriter {
    let format: OutputFormat
    let now = Date()
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    init(format: OutputFormat) { self.format = format }

    func json(_ certificate: ClientCertificate) throws -> String {
        String(decoding: try encoder.encode(certificate), as: UTF8.self)
    }

    /// One certificate on its own; `withPEM` adds the certificate's PEM after a table (json holds it anyway).
    func write(_ certificate: ClientCertificate, withPEM: Bool = false) throws {
        switch format {
        case .json, .jsonl: print(try json(certificate))
        case .table:
            let rows: [(String, String)] = [
                ("id", certificate.id), ("status", certificate.status.rawValue),
                ("common name", certificate.commonName), ("organization", certificate.organization),
                ("organizational unit", certificate.organizationalUnit), ("country", certificate.country),
                ("state", certificate.state), ("location", certificate.location),
                ("issued on", certificate.issuedOn), ("expires on", certificate.expiresOn),
                ("days left", daysLeft(certificate).map(String.init) ?? "?"),
                ("validity days", certificate.validityDays.map(String.init) ?? ""),
                ("serial number", certificate.serialNumber), ("fingerprint sha256", certificate.fingerprintSHA256),
                ("signature", certificate.signature), ("ski", certificate.ski),
                ("certificate authority", certificate.certificateAuthority.name),
            ]
            for (name, value) in rows where !value.isEmpty { print("\(name.padding(to: 22))\(value.terminalSafe)") }
            if withPEM { print("\n" + certificate.certificate.terminalSafeKeepingLines) }
        }
    }

    /// Whole days until the certificate expires (negative once it has), nil when the date is unreadable.
    func daysLeft(_ certificate: ClientCertificate) -> Int? {
        guard let expires = certificate.expiresOnDate else { return nil }
        let seconds = expires.timeIntervalSince(now)
        guard seconds.isFinite, abs(seconds) < 1e12 else { return nil }
        return Int((seconds / 86_400).rounded(.down))
    }

    static let columns = ["ID", "STATUS", "COMMON NAME", "EXPIRES", "DAYS LEFT"]

    func tableRow(_ certificate: ClientCertificate) -> [String] {
        [certificate.id, certificate.status.rawValue, certificate.commonName,
         String(certificate.expiresOn.prefix(10)), daysLeft(certificate).map(String.init) ?? "?"].map(\.terminalSafe)
    }
}

/// A list written as it arrives: jsonl lines at once, a json array opened and closed around the elements, a table
/// with widths fixed by the first rows (long values are not cut, they push their row).
final class ListWriter {
    private let writer: CertificateWriter
    private var count = 0
    private var widths = CertificateWriter.columns.map(\.count)
    private var pendingRows: [[String]] = []
    private static let rowsBeforeWidthsAreFixed = 50

    init(format: OutputFormat) { writer = CertificateWriter(format: format) }

    func add(_ certificate: ClientCertificate) throws {
        count += 1
        switch writer.format {
        case .jsonl: print(try writer.json(certificate))
        case .json: print((count == 1 ? "[" : ",") + (try writer.json(certificate)))
        case .table:
            let row = writer.tableRow(certificate)
            if count <= Self.rowsBeforeWidthsAreFixed {
                pendingRows.append(row)
                if count == Self.rowsBeforeWidthsAreFixed { flushPending() }
            } else {
                printRow(row)
            }
        }
    }

    /// Ends the output; returns how many certificates were written.
    @discardableResult
    func finish() -> Int {
        switch writer.format {
        case .jsonl: break
        case .json: print(count == 0 ? "[]" : "]")
        case .table:
            if count < Self.rowsBeforeWidthsAreFixed { flushPending() }
        }
        return count
    }

    private func flushPending() {
        for row in pendingRows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        printRow(CertificateWriter.columns)
        pendingRows.forEach(printRow)
        pendingRows = []
    }

    private func printRow(_ row: [String]) {
        let cells = row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(to: widths[index])
        }
        print(cells.joined(separator: "  "))
    }
}

/// "fetched 450 certificates (page 9)" rewritten in place on standard error, only when it is a terminal.
struct ProgressLine {
    let enabled: Bool

    func update(_ text: String) {
        guard enabled else { return }
        StandardError.write("\r\u{1B}[K\(text)")
    }

    func clear() {
        guard enabled else { return }
        StandardError.write("\r\u{1B}[K")
    }
}

extension String {
    /// For table output: C0 and C1 control characters (ESC, CR, BEL...) and DEL shown as `\u{1b}`, so a subject
    /// field from whoever submitted the CSR cannot move the cursor, retitle or clear an operator's terminal.
    /// JSON output stays exact.
    var terminalSafe: String { escapingControls(keepingNewlines: false) }

    /// `terminalSafe`, keeping line feeds (a PEM block).
    var terminalSafeKeepingLines: String { escapingControls(keepingNewlines: true) }

    private func escapingControls(keepingNewlines: Bool) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
        }
        guard unicodeScalars.contains(where: isControl) else { return self }
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if isControl(scalar), !(keepingNewlines && scalar == "\n") {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
