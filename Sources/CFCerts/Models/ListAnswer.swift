#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The envelope of a list answer, scanned (not decoded): `success`, each element of `result` read by the caller,
/// and `result_info`. More than `maxItems` elements (the request's `per_page`: the API never sends more) is an
/// error found before they are read, so a hostile server cannot turn one large page into a great many models.
enum ListAnswer {
    static func scan<Item>(_ body: [UInt8], httpStatus: Int, rayID: String?, maxItems: Int? = nil,
                           item: (inout JSONScanner) throws -> Item) throws(CFCertsError)
        -> (items: [Item], resultInfo: ResultInfo?, resultInfoJSON: ArraySlice<UInt8>?, success: Bool)
    {
        var scanner = JSONScanner(body)
        do {
            var items: [Item]?
            var resultInfo: ResultInfo?
            var resultInfoJSON: ArraySlice<UInt8>?
            var success = false
            try scanner.object { scanner, key in
                switch key {
                case "success":
                    if let flag = try scanner.boolIfPresent() { success = flag } else { try scanner.skipValue() }
                case "result":
                    var elements: [Item] = []
                    try scanner.array { scanner in
                        if let maxItems, elements.count == maxItems {
                            throw JSONScanner.Failure(message: "more than per_page (\(maxItems)) certificates", offset: scanner.offset)
                        }
                        elements.append(try item(&scanner))
                    }
                    items = elements
                case "result_info":
                    let range = try scanner.skipValue()
                    if body[range.lowerBound] == UInt8(ascii: "{") {
                        resultInfo = try JSONDecoding.decoder.decode(ResultInfo.self, from: Data(body[range]))
                        resultInfoJSON = body[range]
                    }
                default:
                    try scanner.skipValue()
                }
            }
            try scanner.end()
            guard let items else { throw JSONScanner.Failure(message: "no result array", offset: 0) }
            return (items, resultInfo, resultInfoJSON, success)
        } catch let failure as JSONScanner.Failure {
            throw CFCertsError(kind: .decoding, message: "unexpected list answer: \(failure.message) at byte \(failure.offset)",
                               httpStatus: httpStatus, rayID: rayID)
        } catch let error as CFCertsError {
            throw error
        } catch {
            throw CFCertsError(kind: .decoding, message: "unexpected list answer: a value is not of the documented type",
                               httpStatus: httpStatus, rayID: rayID)
        }
    }
}

/// A shared decoder (it is thread-safe): making one per call costs more than the small documents it reads.
enum JSONDecoding {
    static let decoder = JSONDecoder()
}
