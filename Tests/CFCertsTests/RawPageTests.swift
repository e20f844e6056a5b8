@testable import CFCerts
import Foundation
import Testing

@Suite("List answers cut into certificate texts (the C iterator's path)")
struct RawPageTests {
    static func page(_ text: String) throws(CFCertsError) -> RawCertificatePage {
        try RawCertificatePage(body: Array(text.utf8), httpStatus: 200, rayID: nil)
    }

    @Test("items are the server's objects, as sent, with \\r\\n in strings turned to \\n and nothing else")
    func items() throws {
        let body = #"{"success":true,"errors":[],"result":[{"id":"a","csr":"L1\r\nL2\r\n","note":"x\\r\\ny","n":[1,-2.5e3,{"k":null}]} , {"id":"b\u00e9"}],"result_info":{"page":1,"per_page":5,"count":2,"total_count":2,"total_pages":1}}"#
        let page = try Self.page(body)
        #expect(page.success)
        #expect(page.items.map(\.id) == ["a", "bé"])
        #expect(String(decoding: page.items[0].json, as: UTF8.self) == #"{"id":"a","csr":"L1\nL2\n","note":"x\\r\\ny","n":[1,-2.5e3,{"k":null}]}"#)
        #expect(String(decoding: page.items[1].json, as: UTF8.self) == #"{"id":"b\u00e9"}"#)
        #expect(page.resultInfo == ResultInfo(count: 2, page: 1, perPage: 5, totalCount: 2, totalPages: 1))
        // Every item is valid JSON on its own.
        for item in page.items { #expect((try? JSONSerialization.jsonObject(with: Data(item.json))) != nil) }
    }

    @Test("malformed answers are decoding errors, never items", arguments: [
        #"{"success":true,"result":[{"id":"a"}"#, #"{"success":true,"result":[{"id":1}]}"#, #"{"success":true,"result":[{"x":"a"}]}"#,
        #"{"success":true,"result":[{"id":"a",}]}"#, #"{"success":true,"result":[{"id":"a"}]} x"#, #"{"success":true,"result":[{"id":"a\x"}]}"#,
        #"{"success":true,"result":[{"id":"a","n":01}]}"#, #"{"success":true,"result":[{"id":"a","n":1.}]}"#, #"{"success":true,"result":[{"id":"a","b":tru}]}"#,
        #"{"success":true,"result":[{"id":"a\u12"}]}"#, #"{"success":true,"result":{"id":"a"}}"#, #"{"success":true}"#, "", "null", "[]",
        #"{"success":true,"result":["a"]}"#, #"{"success":true,"result":[{"id":"a"}],"result_info":{"total_pages":1e300}}"#,
    ])
    func malformed(body: String) {
        #expect(throws: CFCertsError(kind: .decoding, message: "")) { _ = try Self.page(body) }
    }

    @Test("invalid UTF-8, raw control characters and deep nesting are refused")
    func bytes() {
        let invalid: [[UInt8]] = [[0xFF, 0xFE], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x01]]
        for bad in invalid {
            let body = Array(#"{"success":true,"result":[{"id":"a","x":""#.utf8) + bad + Array(#""}]}"#.utf8)
            #expect(throws: CFCertsError(kind: .decoding, message: "")) {
                _ = try RawCertificatePage(body: body, httpStatus: 200, rayID: nil)
            }
        }
        let deep = #"{"success":true,"result":[{"id":"a","x":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}]}"
        #expect(throws: CFCertsError(kind: .decoding, message: "")) { _ = try Self.page(deep) }
        let fine = #"{"success":true,"result":[{"id":"a","x":"# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}]}"
        #expect((try? Self.page(fine))?.items.count == 1)
    }

    @Test("success false is reported, not hidden")
    func successFalse() throws {
        #expect(try Self.page(#"{"success":false,"errors":[{"code":1,"message":"no"}],"result":[]}"#).success == false)
    }

    @Test("the listing's scanning decoder gives what Decodable gives", arguments: [
        #"{"id":"a","status":"active","csr":"A\r\nB\r\n","certificate":null,"validity_days":365,"certificate_authority":{"id":"ca","name":"N"},"x_new":{"k":[1,true]},"common_name":"cn"}"#,
        #"{"status":"revoked","id":"b","certificate_authority":null,"certificate":"x\ry\r\r\nz\\r\n"}"#,
        #"{"id":"c","status":"future_status","validity_days":null,"organizational_unit":"ou\u00e9","extra":"e"}"#,
    ])
    func scanningEqualsDecodable(json: String) throws {
        var scanner = JSONScanner(Array(json.utf8))
        let scanned = try ClientCertificate(scanning: &scanner)
        let decoded = try JSONDecoder().decode(ClientCertificate.self, from: Data(json.utf8))
        #expect(scanned == decoded)
    }

    @Test("the scanning decoder refuses what Decodable refuses", arguments: [
        #"{"status":"active"}"#, #"{"id":"a"}"#, #"{"id":1,"status":"active"}"#, #"{"id":"a","status":"active","csr":5}"#,
        #"{"id":"a","status":"active","validity_days":3.5}"#, #"{"id":"a","status":"active","validity_days":"3"}"#,
    ])
    func scanningRefuses(json: String) {
        var scanner = JSONScanner(Array(json.utf8))
        #expect(throws: (any Error).self) { _ = try ClientCertificate(scanning: &scanner) }
        #expect(throws: (any Error).self) { _ = try JSONDecoder().decode(ClientCertificate.self, from: Data(json.utf8)) }
    }
}
