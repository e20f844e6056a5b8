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

    fileprivate func fetch(page: Int) async throws(CFCertsError) -> ClientCertificatePage {
        try await resource.listPage(zoneID: zoneID, page: page, perPage: perPage, status: status)
    }

    /// Fetches pages in order, the current one in the iterating task and up to `prefetchPages` more in tasks of
    /// their own once the page count is known. Cancels those when dropped.
    final class PageFetcher: @unchecked Sendable {
        // Only the iterating task touches this state (an iterator is not shared between tasks).
        private let sequence: ClientCertificateSequence
        private var nextPageNumber = 1
        /// The server's `total_pages` from the first page; nil when it sent none.
        private var lastPage: Int?
        private var finished = false
        private var prefetched: [Int: Task<ClientCertificatePage, any Error>] = [:]
        /// Hashes of every id delivered so far (8 bytes each, not the ids: 100,000 certificates cost under 2 MB).
        private var seenIDs = Set<Int>()

        init(sequence: ClientCertificateSequence) { self.sequence = sequence }

        deinit {
            prefetched.values.forEach { $0.cancel() }
        }

        func nextPage() async throws(CFCertsError) -> [ClientCertificate]? {
            guard !finished else { return nil }
            let number = nextPageNumber
            nextPageNumber += 1
            do {
                let page = try await fetch(number)
                return try accept(page, number: number)
            } catch {
                finish()
                throw error
            }
        }

        private func fetch(_ number: Int) async throws(CFCertsError) -> ClientCertificatePage {
            startPrefetches(after: number)
            guard let task = prefetched.removeValue(forKey: number) else { return try await sequence.fetch(page: number) }
            do {
                return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
            } catch {
                throw (error as? CFCertsError) ?? .cancelled()
            }
        }

        /// Checks a page against what came before; decides whether it is the last.
        private func accept(_ page: ClientCertificatePage, number: Int) throws(CFCertsError) -> [ClientCertificate] {
            for certificate in page.certificates where !seenIDs.insert(certificate.id.hashValue).inserted {
                throw CFCertsError(
                    kind: .decoding,
                    message: "the server sent certificate \(certificate.id.prefix(64)) again on page \(number): the listing is not consistent")
            }
            if number == 1, let total = page.resultInfo?.totalPages, total > 0 { lastPage = total }
            let isShort = page.certificates.count < sequence.perPage
            if page.certificates.isEmpty || number >= (lastPage ?? .max) || (lastPage == nil && isShort) {
                finish()
            } else if number >= ClientCertificateSequence.maxPages {
                throw CFCertsError(kind: .decoding, message: "the listing did not end within \(ClientCertificateSequence.maxPages) pages")
            }
            return page.certificates
        }

        /// Starts tasks for up to `prefetchPages` pages after `number`, within the announced page count.
        private func startPrefetches(after number: Int) {
            guard sequence.prefetchPages > 0, let lastPage, number < lastPage else { return }
            let upTo = Swift.min(lastPage, number + sequence.prefetchPages, ClientCertificateSequence.maxPages)
            guard upTo > number else { return }
            for page in (number + 1)...upTo where prefetched[page] == nil {
                let sequence = sequence
                prefetched[page] = Task(executorPreference: sequence.taskExecutor) {
                    try await sequence.fetch(page: page)
                }
            }
        }

        private func finish() {
            finished = true
            prefetched.values.forEach { $0.cancel() }
            prefetched.removeAll()
        }
    }
}
