/// Every certificate of a zone, in the API's order, fetched page by page as it is iterated.
///
/// It ends at `result_info.total_pages` when the server sends it, else at the first short or empty page: no request
/// is made for a page past the end, and a listing is never cut short silently. A server that misbehaves cannot make
/// it loop or deliver a certificate twice: a certificate id seen before (a page sent again, or pages alternating)
/// ends the iteration with a decoding error, and so does a listing longer than `maxPages`.
/// Cancelling the iterating task cancels the requests in flight. Throws `CFCertsError`.
public struct ClientCertificateSequence: AsyncSequence, Sendable {
    public typealias Element = ClientCertificate

    /// The most pages one listing may take (5 million certificates at 50 a page).
    public static let maxPages = 100_000

    let resource: ClientCertificates
    let zoneID: String
    let status: ClientCertificateStatus?
    let perPage: Int
    let prefetchPages: Int
    /// Where prefetching tasks run; nil: the global pool.
    let taskExecutor: (any TaskExecutor)?

    public func makeAsyncIterator() -> Iterator {
        let sequence = self
        return Iterator(fetcher: PageFetcher(perPage: perPage, prefetchPages: prefetchPages, taskExecutor: taskExecutor) {
            page throws(CFCertsError) in
            try await sequence.resource.listPage(zoneID: sequence.zoneID, page: page, perPage: sequence.perPage, status: sequence.status)
        })
    }

    /// Iterates in the API's order; use it from one task at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let fetcher: PageFetcher<ClientCertificatePage>
        private var buffer: [ClientCertificate] = []
        private var index = 0

        init(fetcher: PageFetcher<ClientCertificatePage>) { self.fetcher = fetcher }

        /// The next certificate (fetching the next page when needed), or nil after the last. Throws `CFCertsError`.
        public mutating func next() async throws -> ClientCertificate? {
            while index == buffer.count {
                guard let page = try await fetcher.nextPage() else { return nil }
                buffer = page
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}
