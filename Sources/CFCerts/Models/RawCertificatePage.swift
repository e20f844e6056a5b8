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
    /// `result_info` as the server sent it; nil when it sent none (or not an object).
    package var resultInfoJSON: [UInt8]?
    /// The envelope's `success` flag.
    var success: Bool

    /// Reads the `result` array and `result_info` of a list answer. Throws a decoding error for anything that is
    /// not the documented envelope.
    package init(body: [UInt8], httpStatus: Int, rayID: String?, maxItems: Int? = nil) throws(CFCertsError) {
        let answer = try ListAnswer.scan(body, httpStatus: httpStatus, rayID: rayID, maxItems: maxItems) { scanner in
            let start = scanner.offset
            var id: String?
            var dropped: [JSONScanner.CarriageReturn] = []
            try scanner.object(collectingCRLF: &dropped) { scanner, key in
                if key == "id", let text = try scanner.stringIfPresent() { id = text } else { try scanner.skipValue() }
            }
            guard let id else { throw JSONScanner.Failure(message: "a certificate without a string id", offset: start) }
            return Item(json: scanner.copy(from: start, to: scanner.offset, dropping: dropped), id: id)
        }
        items = answer.items
        resultInfo = answer.resultInfo
        resultInfoJSON = answer.resultInfoJSON.map(Array.init)
        success = answer.success
    }
}
