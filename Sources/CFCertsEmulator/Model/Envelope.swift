import Foundation

/// The `result_info` object of a list response.
struct ResultInfo: Encodable, Sendable {
    var count: Int
    var page: Int
    var perPage: Int
    var totalCount: Int
    var totalPages: Int

    enum CodingKeys: String, CodingKey {
        case count, page
        case perPage = "per_page"
        case totalCount = "total_count"
        case totalPages = "total_pages"
    }
}

/// One entry of `errors[]` / `messages[]`.
struct ResponseInfo: Encodable, Sendable {
    struct Source: Encodable, Sendable { var pointer: String }
    var code: Int
    var message: String
    var source: Source?
}

/// Cloudflare's v4 response envelope: `success`, `errors`, `messages`, `result` (+ `result_info` on lists).
struct Envelope<Result: Encodable & Sendable>: Encodable, Sendable {
    var success: Bool
    var errors: [ResponseInfo]
    var messages: [ResponseInfo]
    var result: Result?
    var resultInfo: ResultInfo?

    enum CodingKeys: String, CodingKey {
        case success, errors, messages, result
        case resultInfo = "result_info"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(success, forKey: .success)
        try container.encode(errors, forKey: .errors)
        try container.encode(messages, forKey: .messages)
        // The API always sends `result`, as null on errors.
        if let result { try container.encode(result, forKey: .result) } else { try container.encodeNil(forKey: .result) }
        try container.encodeIfPresent(resultInfo, forKey: .resultInfo)
    }

    static func success(_ result: Result, resultInfo: ResultInfo? = nil) -> Envelope {
        Envelope(success: true, errors: [], messages: [], result: result, resultInfo: resultInfo)
    }
}

extension Envelope where Result == PublicCertificate {
    static func failure(_ error: APIError) -> Envelope {
        let info = ResponseInfo(code: error.code, message: error.message, source: error.pointer.map { .init(pointer: $0) })
        return Envelope(success: false, errors: [info], messages: [], result: nil, resultInfo: nil)
    }
}

enum JSONBody {
    /// Encodes any response body; `/` is not escaped, as the API does not escape it.
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding our own value types cannot fail; an empty object is a safe fallback.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
