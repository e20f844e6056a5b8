import CCFCerts
import CFCerts

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a `cfcerts_iter *` points to: the core's page fetcher, the page being handed out, and the client it
/// keeps alive. Crosses the bridge once a page, not once a certificate. Used by one thread at a time (the header
/// says so), hence unchecked.
final class IteratorHandle: @unchecked Sendable {
    /// The default `prefetch_pages`: over a 50 ms link, five pages in flight list five times as fast (make bench).
    static let defaultPrefetchPages = 4

    private let client: ClientHandle
    /// What the bridge's tasks capture: they may outlive a call by a moment, and must never hold the handle
    /// (whose last release lets go of the client, which blocks).
    private let fetcher: PageFetcher<RawCertificatePage>
    private var page: [RawCertificatePage.Item] = []
    private var index = 0
    /// The process that started the listing: its pages in flight are lost in a child of `fork()`.
    private let pid = getpid()

    init(client: ClientHandle, fetcher: PageFetcher<RawCertificatePage>) {
        self.client = client
        self.fetcher = fetcher
        client.retainUse()
    }

    /// Lets go of the client; the last user shuts it down, blocking. Called by cfcerts_iter_free on the
    /// caller's thread, never from a deinit (which could run on one of the bridge's own threads).
    func close() { client.releaseUse() }

    /// The next certificate's JSON text, nil at the end; after the end or an error, always nil (the fetcher
    /// says so).
    func next() throws(CFCertsError) -> [UInt8]? {
        guard try fillPage() else { return nil }
        defer { index += 1 }
        return page[index].json
    }

    /// The rest of the current page as one JSON array (fetching the next page when it is used up), nil at the end.
    func nextPage() throws(CFCertsError) -> [UInt8]? {
        guard try fillPage() else { return nil }
        var json: [UInt8] = [UInt8(ascii: "[")]
        for item in page[index...] {
            if json.count > 1 { json.append(UInt8(ascii: ",")) }
            json.append(contentsOf: item.json)
        }
        json.append(UInt8(ascii: "]"))
        index = page.count
        return json
    }

    /// Makes sure a certificate is waiting in `page`, fetching pages as needed; false at the end.
    private func fillPage() throws(CFCertsError) -> Bool {
        guard pid == getpid() else {
            throw CFCertsError(kind: .invalidArgument,
                               message: "this listing was started before fork(): start a new one in this process")
        }
        while index == page.count {
            let fetcher = self.fetcher
            let result: Result<[RawCertificatePage.Item]?, CFCertsError> = BlockingBridge.run {
                do throws(CFCertsError) {
                    return .success(try await fetcher.nextPage())
                } catch {
                    return .failure(error)
                }
            }
            guard let items = try result.get() else { return false }
            page = items
            index = 0
        }
        return true
    }

    static func from(_ pointer: OpaquePointer?) throws(CFCertsError) -> IteratorHandle {
        guard let pointer else { throw Arguments.invalid("iter is NULL") }
        return Unmanaged<IteratorHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

@c @implementation
public func cfcerts_iter_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
                             _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?) -> Int32 {
    handOutObject(out) { () throws(CFCertsError) -> AnyObject in
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zone_id, name: "zone_id")
        let params = try Arguments.object(params_json, name: "params_json", allowed: ["status", "per_page", "prefetch_pages"])
        let fetcher = try handle.client.clientCertificates.rawPages(
            zoneID: zone, status: try ListStatus.parse(try params.string("status")),
            perPage: try params.integer("per_page") ?? 50,
            prefetchPages: try params.integer("prefetch_pages") ?? IteratorHandle.defaultPrefetchPages,
            taskExecutor: BlockingExecutor.shared)
        return IteratorHandle(client: handle, fetcher: fetcher)
    }
}

@c @implementation
public func cfcerts_iter_next(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ iter: OpaquePointer?) -> Int32 {
    handOutNext(out) { () throws(CFCertsError) -> [UInt8]? in try IteratorHandle.from(iter).next() }
}

@c @implementation
public func cfcerts_iter_next_page(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ iter: OpaquePointer?) -> Int32 {
    handOutNext(out) { () throws(CFCertsError) -> [UInt8]? in try IteratorHandle.from(iter).nextPage() }
}

@c @implementation
public func cfcerts_iter_free(_ iter: OpaquePointer?) {
    guard let iter else { return }
    let handle = Unmanaged<IteratorHandle>.fromOpaque(UnsafeRawPointer(iter)).takeRetainedValue()
    handle.close()
}
