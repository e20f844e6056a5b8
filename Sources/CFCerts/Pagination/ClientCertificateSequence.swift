/// Every certificate of a zone, in the API's order, fetched page by page as it is iterated.
///
/// It stops at `result_info.total_pages` (or at a short or empty page, when the server sends no `result_info`):
/// no request is made for a page past the end. A server that sends the same page again, or that never ends, cannot
/// make it loop: a repeated page ends the iteration with a decoding error, it never asks for more pages than the
/// first page announced, and without `result_info` it gives up with a decoding error after `maxPages`.
/// Cancelling the iterating task cancels the requests in flight. Throws `CFCertsError`.
public struct ClientCertificateSequence: AsyncSequence, Sendable {
    public typealias Element = ClientCertificate

    /// The most pages a listing without `result_info` may take (5 million certificates at 50 a page).
    public static let maxPages = 100_000

    let resource: ClientCertificates
    let zoneID: String
    let status: ClientCertificateStatus?
    let perPage: Int
    let prefetchPages: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(fetcher: PageFetcher(sequence: self))
    }

    /// Iterates in the API's order; use it from one task at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let fetcher: PageFetcher
        private var buffer: [ClientCertificate] = []
        private var index = 0

        init(fetcher: PageFetcher) { self.fetcher = fetcher }

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

    /// Fetches pages in order, keeping up to `prefetchPages` more in flight. Cancels them when dropped.
    final class PageFetcher: @unchecked Sendable {
        // Only the iterating task touches this state (an iterator is not shared between tasks).
        private let sequence: ClientCertificateSequence
        private var nextPageNumber = 1
        /// Pages past this one are not requested: from the first page's `total_pages`, nil until known.
        private var lastPage: Int?
        private var finished = false
        private var inFlight: [Int: Task<ClientCertificatePage, any Error>] = [:]
        private var previousIDs: [String] = []

        init(sequence: ClientCertificateSequence) { self.sequence = sequence }

        deinit {
            inFlight.values.forEach { $0.cancel() }
        }

        func nextPage() async throws -> [ClientCertificate]? {
            guard !finished else { return nil }
            let number = nextPageNumber
            startFetches(from: number)
            let task = inFlight[number]!
            let page: ClientCertificatePage
            do {
                page = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
            } catch {
                finish()
                throw (error as? CFCertsError) ?? .cancelled()
            }
            inFlight[number] = nil
            nextPageNumber += 1
            if number >= ClientCertificateSequence.maxPages, lastPage == nil {
                finish()
                throw CFCertsError(kind: .decoding, message: "the listing did not end within \(ClientCertificateSequence.maxPages) pages")
            }

            let ids = page.certificates.map(\.id)
            if !ids.isEmpty, ids == previousIDs {
                finish()
                throw CFCertsError(kind: .decoding, message: "the server sent page \(number - 1) again as page \(number)")
            }
            previousIDs = ids
            if number == 1, let info = page.resultInfo { lastPage = info.totalPages }
            let isShort = page.certificates.count < sequence.perPage
            if page.certificates.isEmpty || number >= (lastPage ?? .max) || (page.resultInfo == nil && isShort) {
                finish()
            }
            return page.certificates
        }

        /// Starts the request for `number` and, once the page count is known, up to `prefetchPages` after it.
        private func startFetches(from number: Int) {
            let upTo = Swift.max(number, lastPage.map { Swift.min($0, number + sequence.prefetchPages) } ?? number)
            for page in number...upTo where inFlight[page] == nil {
                let sequence = sequence
                inFlight[page] = Task {
                    try await sequence.resource.listPage(
                        zoneID: sequence.zoneID, page: page, perPage: sequence.perPage, status: sequence.status)
                }
            }
        }

        private func finish() {
            finished = true
            inFlight.values.forEach { $0.cancel() }
            inFlight.removeAll()
        }
    }
}
