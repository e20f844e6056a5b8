#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A list answer as the server sent it: each certificate's JSON text, and the page's `result_info`.
///
/// What the C ABI hands out: certificates cross to C as the API's own JSON without being decoded into models and
/// encoded again. The body is fully validated (grammar, UTF-8, nesting at most 512 deep), so every item is a
/// valid JSON object; the only change made is the documented one: `\r\n` in strings (the PEM fields) becomes `\n`.
package struct RawCertificatePage: Sendable {
    /// One certificate: its JSON object text (NUL-free UTF-8) and its `id`.
    package struct Item: Sendable {
        package var json: [UInt8]
        package var id: String
    }

    package var items: [Item]
    package var resultInfo: ResultInfo?
    /// The envelope's `success` flag.
    var success: Bool

    /// Reads the `result` array and `result_info` of a successful list answer. Throws a decoding error for anything
    /// else (the caller has already turned error answers into errors).
    package init(body: [UInt8], httpStatus: Int, rayID: String?) throws(CFCertsError) {
        var scanner = JSONScanner(body)
        do {
            var items: [Item]?
            var resultInfo: ResultInfo?
            var success = false
            try scanner.object { scanner, key in
                switch key {
                case "success":
                    if let flag = try scanner.boolIfPresent() { success = flag } else { try scanner.skipValue() }
                case "result":
                    items = try Self.items(&scanner)
                case "result_info":
                    let range = try scanner.skipValue()
                    if body[range.lowerBound] == UInt8(ascii: "{") {
                        resultInfo = try JSONDecoding.decoder.decode(ResultInfo.self, from: Data(body[range]))
                    }
                default:
                    _ = try scanner.skipValue()
                }
            }
            try scanner.end()
            guard let items else { throw JSONScanner.Failure(message: "no result array", offset: 0) }
            self.items = items
            self.resultInfo = resultInfo
            self.success = success
        } catch let failure as JSONScanner.Failure {
            throw CFCertsError(kind: .decoding, message: "unexpected list answer: \(failure.message) at byte \(failure.offset)",
                               httpStatus: httpStatus, rayID: rayID)
        } catch {
            throw CFCertsError(kind: .decoding, message: "unexpected list answer: result_info is not the documented object",
                               httpStatus: httpStatus, rayID: rayID)
        }
    }

    /// The elements of `result`: objects, each with a string `id`.
    private static func items(_ scanner: inout JSONScanner) throws -> [Item] {
        var items: [Item] = []
        try scanner.array { scanner in
            var id: String?
            let start = scanner.offset
            var dropped: [Int] = []
            try scanner.object(collectingCRLF: &dropped) { scanner, key in
                if key == "id", let text = try scanner.stringIfPresent() { id = text } else { _ = try scanner.skipValue() }
            }
            guard let id else { throw JSONScanner.Failure(message: "a certificate without a string id", offset: start) }
            items.append(Item(json: scanner.copy(from: start, to: scanner.offset, dropping: dropped), id: id))
        }
        return items
    }
}

/// A shared decoder (it is thread-safe): making one per call costs more than the small documents it reads.
enum JSONDecoding {
    static let decoder = JSONDecoder()
}
