import CFCerts
import CFCertsEmulator
import Foundation
import Testing

/// One rule for every path (listPage, list, get and the C iterator's raw pages): answers the API could send are
/// read the same way everywhere, and what it never sends is refused everywhere.
@Suite("Answers read alike on every path")
struct AnswerShapeTests {
    static let listPath = "/client/v4/zones/*/client_certificates"
    static let itemPath = "/client/v4/zones/*/client_certificates/*"

    static func envelope(_ result: String, resultInfo: String? = nil) -> String {
        #"{"success":true,"errors":[],"messages":[],"result":\#(result)"# + (resultInfo.map { #","result_info":\#($0)"# } ?? "") + "}"
    }

    static func certificate(_ id: String, extra: String = "") -> String {
        #"{"id":"\#(id)","status":"active","common_name":"c\#(id)"\#(extra)}"#
    }

    @Test("a list answer that begins with white space is read by listPage and list")
    func leadingWhitespace() async throws {
        try await CoreHarness.with { harness in
            let body = " \n\t" + Self.envelope("[" + Self.certificate("a1") + "]", resultInfo: #"{"page":1,"per_page":20,"count":1,"total_count":1,"total_pages":1}"#)
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.listPath, count: 2, body: body))
            #expect(try await harness.client.clientCertificates.listPage(zoneID: harness.zone).certificates.map(\.id) == ["a1"])
            var ids: [String] = []
            for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone, perPage: 20) {
                ids.append(certificate.id)
            }
            #expect(ids == ["a1"])
        }
    }

    @Test("a page with more certificates than per_page is refused, with the scanner's precise message")
    func oversizePage() async throws {
        try await CoreHarness.with { harness in
            let items = (0..<6).map { Self.certificate("p\($0)") }.joined(separator: ",")
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.listPath, body: Self.envelope("[\(items)]")))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone, perPage: 5)
            }
            #expect(error?.kind == .decoding)
            #expect(error?.message.contains("more than per_page (5)") == true)
        }
    }

    @Test("a malformed list answer keeps the scanner's message: what, and at which byte")
    func preciseMessage() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.listPath, body: #"{"success":true,"result":[{"id":"x","status":"active"},]}"#))
            let error = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(error?.kind == .decoding)
            #expect(error?.message.contains("at byte") == true, "\(error?.message ?? "")")
        }
    }

    @Test("a number beyond a double's range is refused by get and by the listing alike")
    func hugeNumber() async throws {
        try await CoreHarness.with { harness in
            let odd = Self.certificate("n1", extra: #","future_field":1e400"#)
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.itemPath, body: Self.envelope(odd)))
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.listPath, body: Self.envelope("[\(odd)]")))
            let single = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: "n1")
            }
            let listed = await #expect(throws: CFCertsError.self) {
                _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            }
            #expect(single?.kind == .decoding)
            #expect(listed?.kind == .decoding)
        }
    }

    @Test("CR LF, however escaped, becomes LF in get and in the listing alike")
    func lineEndings() async throws {
        try await CoreHarness.with { harness in
            let pem = #"-----BEGIN X-----\u000d\u000aAAAA\r\nBBBB\u000D\nCCCC\rDDDD\n-----END X-----"#
            let odd = Self.certificate("l1", extra: #","certificate":"\#(pem)","location":"a\u000d\u000ab""#)
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.itemPath, body: Self.envelope(odd)))
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.listPath, body: Self.envelope("[\(odd)]")))
            let single = try await harness.client.clientCertificates.get(zoneID: harness.zone, id: "l1")
            let listed = try await harness.client.clientCertificates.listPage(zoneID: harness.zone).certificates[0]
            let expected = "-----BEGIN X-----\nAAAA\nBBBB\nCCCC\nDDDD\n-----END X-----"
            #expect(single.certificate == expected)
            #expect(listed.certificate == expected)
            #expect(single.location == "a\nb")
            #expect(listed.location == "a\nb")
        }
    }

    @Test("raw pages (the C iterator's) normalise line endings the same way")
    func rawLineEndings() throws {
        let pem = #"A\u000d\u000aB\r\nC\u000D\nD\rE"#
        let body = Array(Self.envelope("[" + Self.certificate("r1", extra: #","certificate":"\#(pem)""#) + "]").utf8)
        let page = try RawCertificatePage(body: body, httpStatus: 200, rayID: nil)
        let object = try JSONSerialization.jsonObject(with: Data(page.items[0].json)) as? [String: Any]
        #expect(object?["certificate"] as? String == "A\nB\nC\nD\nE")
    }

    @Test("with a status filter, a certificate that shifts pages is skipped once, and the page's new ones delivered")
    func shiftedPages() async throws {
        try await CoreHarness.with { harness in
            let first = (0..<5).map { Self.certificate("s\($0)") }.joined(separator: ",")
            // A certificate entered the filtered set: page 2 starts with the last one of page 1 again.
            let second = (4..<9).map { Self.certificate("s\($0)") }.joined(separator: ",")
            let info = #"{"page":1,"per_page":5,"count":5,"total_count":10,"total_pages":2}"#
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.listPath, body: Self.envelope("[\(first)]", resultInfo: info)))
            try harness.emulator.arm(.init(kind: .body, method: "GET", path: Self.listPath, body: Self.envelope("[\(second)]", resultInfo: info)))
            var ids: [String] = []
            for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone, status: .active, perPage: 5) {
                ids.append(certificate.id)
            }
            #expect(ids == (0..<9).map { "s\($0)" })
        }
    }
}
