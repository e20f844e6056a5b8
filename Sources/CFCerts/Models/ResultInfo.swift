/// Pagination details of a list response (`result_info`).
public struct ResultInfo: Codable, Sendable, Hashable {
    /// Items on this page.
    public var count: Int
    public var page: Int
    public var perPage: Int
    /// Items in the whole (filtered) listing; nil when the server did not say.
    public var totalCount: Int?
    /// Pages in the whole listing; nil when the server did not say (a listing then runs to a short or empty page).
    public var totalPages: Int?

    enum CodingKeys: String, CodingKey {
        case count, page
        case perPage = "per_page"
        case totalCount = "total_count"
        case totalPages = "total_pages"
    }

    public init(count: Int, page: Int, perPage: Int, totalCount: Int?, totalPages: Int?) {
        self.count = count
        self.page = page
        self.perPage = perPage
        self.totalCount = totalCount
        self.totalPages = totalPages
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 0
        page = try container.decodeIfPresent(Int.self, forKey: .page) ?? 0
        perPage = try container.decodeIfPresent(Int.self, forKey: .perPage) ?? 0
        totalCount = try container.decodeIfPresent(Int.self, forKey: .totalCount)
        totalPages = try container.decodeIfPresent(Int.self, forKey: .totalPages)
    }
}

/// One page of a listing: its certificates and its `result_info` (nil when the server sent none).
public struct ClientCertificatePage: Codable, Sendable, Hashable {
    public var certificates: [ClientCertificate]
    public var resultInfo: ResultInfo?

    enum CodingKeys: String, CodingKey {
        case certificates = "result"
        case resultInfo = "result_info"
    }

    public init(certificates: [ClientCertificate], resultInfo: ResultInfo?) {
        self.certificates = certificates
        self.resultInfo = resultInfo
    }
}
