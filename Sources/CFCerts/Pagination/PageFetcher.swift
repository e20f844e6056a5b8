/// A page of a listing, whatever form its certificates take (models for Swift, JSON texts for C).
package protocol ListingPage: Sendable {
    associatedtype Item: Sendable
    var items: [Item] { get }
    var resultInfo: ResultInfo? { get }
    static func id(of item: Item) -> String
}

extension ClientCertificatePage: ListingPage {
    package var items: [ClientCertificate] { certificates }
    package static func id(of item: ClientCertificate) -> String { item.id }
}

extension RawCertificatePage: ListingPage {
    package static func id(of item: Item) -> String { item.id }
}

/// Fetches the pages of one listing in order: the current one in the calling task, and up to `prefetchPages` more in
/// tasks of their own once the page count is known. Decides where the listing ends (see
/// `ClientCertificateSequence`) and refuses a certificate sent twice. Cancels what is in flight when dropped.
/// Used from one task at a time.
package final class PageFetcher<Page: ListingPage>: @unchecked Sendable {
    // Only the iterating task touches this state (an iterator is not shared between tasks).
    private let fetch: @Sendable (Int) async throws(CFCertsError) -> Page
    private let perPage: Int
    private let prefetchPages: Int
    private let taskExecutor: (any TaskExecutor)?
    private var nextPageNumber = 1
    /// The server's `total_pages` from the first page; nil when it sent none.
    private var lastPage: Int?
    private var finished = false
    private var prefetched: [Int: Task<Page, any Error>] = [:]
    /// Hashes of every id delivered so far (8 bytes each, not the ids: 100,000 certificates cost under 2 MB).
    private var seenIDs = Set<Int>()

    init(perPage: Int, prefetchPages: Int, taskExecutor: (any TaskExecutor)?,
         fetch: @escaping @Sendable (Int) async throws(CFCertsError) -> Page) {
        self.perPage = perPage
        self.prefetchPages = prefetchPages
        self.taskExecutor = taskExecutor
        self.fetch = fetch
    }

    deinit {
        prefetched.values.forEach { $0.cancel() }
    }

    /// The next page's items, or nil after the last page. After an error, always nil.
    package func nextPage() async throws(CFCertsError) -> [Page.Item]? {
        guard !finished else { return nil }
        let number = nextPageNumber
        nextPageNumber += 1
        do {
            let page = try await page(number)
            return try accept(page, number: number)
        } catch {
            finish()
            throw error
        }
    }

    /// Page `number`: taken from its prefetching task when there is one, else fetched now.
    private func page(_ number: Int) async throws(CFCertsError) -> Page {
        startPrefetches(after: number)
        guard let task = prefetched.removeValue(forKey: number) else { return try await self.fetch(number) }
        do {
            return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        } catch {
            throw (error as? CFCertsError) ?? .cancelled()
        }
    }

    /// Checks a page against what came before; decides whether it is the last. Returns the items not delivered
    /// before.
    ///
    /// A certificate seen before is skipped, not an error: with a status filter, a certificate that enters the
    /// filtered set during the listing shifts the later pages by one, and the next page repeats one certificate
    /// before its new ones. A page that brings nothing new (a page sent again, pages alternating) ends the
    /// listing with an error: it cannot be told from a server that would loop.
    private func accept(_ page: Page, number: Int) throws(CFCertsError) -> [Page.Item] {
        guard page.items.count <= perPage else {
            throw CFCertsError(kind: .decoding,
                               message: "page \(number) holds \(page.items.count) certificates, more than per_page \(perPage)")
        }
        let fresh = page.items.filter { seenIDs.insert(Page.id(of: $0).hashValue).inserted }
        if fresh.isEmpty, let repeated = page.items.first {
            throw CFCertsError(
                kind: .decoding,
                message: "page \(number) sends again only certificates delivered before (\(Page.id(of: repeated).prefix(64)), ...): the listing is not consistent")
        }
        if number == 1, let total = page.resultInfo?.totalPages, total > 0 { lastPage = total }
        let isShort = page.items.count < perPage
        if page.items.isEmpty || number >= (lastPage ?? .max) || (lastPage == nil && isShort) {
            finish()
        } else if number >= ClientCertificateSequence.maxPages {
            throw CFCertsError(kind: .decoding, message: "the listing did not end within \(ClientCertificateSequence.maxPages) pages")
        }
        return fresh
    }

    /// Starts tasks for up to `prefetchPages` pages after `number`, within the announced page count.
    private func startPrefetches(after number: Int) {
        guard prefetchPages > 0, let lastPage, number < lastPage else { return }
        let upTo = Swift.min(lastPage, number + prefetchPages, ClientCertificateSequence.maxPages)
        guard upTo > number else { return }
        for page in (number + 1)...upTo where prefetched[page] == nil {
            let fetch = self.fetch
            prefetched[page] = Task(executorPreference: taskExecutor) { try await fetch(page) }
        }
    }

    private func finish() {
        finished = true
        prefetched.values.forEach { $0.cancel() }
        prefetched.removeAll()
    }
}
