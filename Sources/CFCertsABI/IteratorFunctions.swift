import CCFCerts
import CFCerts

/// What a `cfcerts_iter *` points to: the core's auto-paging iterator and the client it keeps alive.
/// Used by one thread at a time (the header says so), hence unchecked.
final class IteratorHandle: @unchecked Sendable {
    private let client: ClientHandle
    /// What the bridge's tasks capture: they may outlive a call by a moment, and must never hold the handle
    /// (whose last release lets go of the client, which blocks).
    private let cursor: Cursor
    private var finished = false

    init(client: ClientHandle, sequence: ClientCertificateSequence) {
        self.client = client
        self.cursor = Cursor(iterator: sequence.makeAsyncIterator())
        client.retainUse()
    }

    /// Lets go of the client; the last user shuts it down, blocking. Called by cfcerts_iter_free on the
    /// caller's thread, never from a deinit (which could run on one of the bridge's own threads).
    func close() { client.releaseUse() }

    /// The next certificate, nil at the end; after the end or an error, always nil.
    func next() throws(CFCertsError) -> ClientCertificate? {
        guard !finished else { return nil }
        let cursor = self.cursor
        let result = BlockingBridge.run { await cursor.next() }
        switch result {
        case .success(let certificate?): return certificate
        case .success(nil):
            finished = true
            return nil
        case .failure(let error):
            finished = true
            throw error
        }
    }

    static func from(_ pointer: OpaquePointer?) throws(CFCertsError) -> IteratorHandle {
        guard let pointer else { throw Arguments.invalid("iter is NULL") }
        return Unmanaged<IteratorHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    private final class Cursor: @unchecked Sendable {
        private var iterator: ClientCertificateSequence.Iterator

        init(iterator: ClientCertificateSequence.Iterator) { self.iterator = iterator }

        func next() async -> Result<ClientCertificate?, CFCertsError> {
            do {
                return .success(try await iterator.next())
            } catch {
                return .failure((error as? CFCertsError) ?? CFCertsError(kind: .api, message: "\(type(of: error))"))
            }
        }
    }
}

@c @implementation
public func cfcerts_iter_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
                             _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?) -> Int32 {
    guard let out else { return LastError.invalid("out is NULL") }
    out.pointee = nil
    do throws(CFCertsError) {
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zone_id, name: "zone_id")
        let params = try Arguments.object(params_json, name: "params_json", allowed: ["status", "per_page", "prefetch_pages"])
        let sequence = try handle.client.clientCertificates.list(
            zoneID: zone, status: try ListStatus.parse(try params.string("status")),
            perPage: try params.integer("per_page") ?? 50, prefetchPages: try params.integer("prefetch_pages") ?? 0,
            taskExecutor: BlockingExecutor.shared)
        let iterator = IteratorHandle(client: handle, sequence: sequence)
        out.pointee = OpaquePointer(Unmanaged.passRetained(iterator).toOpaque())
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}

@c @implementation
public func cfcerts_iter_next(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ iter: OpaquePointer?) -> Int32 {
    guard let out else { return LastError.invalid("out is NULL") }
    out.pointee = nil
    do throws(CFCertsError) {
        guard let certificate = try IteratorHandle.from(iter).next() else { return CFCERTS_ITEROVER }
        return Arguments.hand(try Arguments.json(certificate), to: out)
    } catch {
        return LastError.record(error)
    }
}

@c @implementation
public func cfcerts_iter_free(_ iter: OpaquePointer?) {
    guard let iter else { return }
    let handle = Unmanaged<IteratorHandle>.fromOpaque(UnsafeRawPointer(iter)).takeRetainedValue()
    handle.close()
}
