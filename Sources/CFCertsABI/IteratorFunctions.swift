import CCFCerts
import CFCerts

/// What a `cfcerts_iter *` points to: the core's auto-paging iterator and the client it keeps alive.
/// Used by one thread at a time (the header says so), hence unchecked.
final class IteratorHandle: @unchecked Sendable {
    let client: ClientHandle
    private var iterator: ClientCertificateSequence.Iterator
    private var finished = false

    init(client: ClientHandle, sequence: ClientCertificateSequence) {
        self.client = client
        self.iterator = sequence.makeAsyncIterator()
        client.retainUse()
    }

    deinit { client.releaseUse() }

    /// The next certificate, nil at the end; after the end or an error, always nil.
    func next() throws(CFCertsError) -> ClientCertificate? {
        guard !finished else { return nil }
        let result: Result<ClientCertificate?, CFCertsError> = BlockingBridge.run {
            do {
                return .success(try await self.iterator.next())
            } catch {
                return .failure((error as? CFCertsError) ?? CFCertsError(kind: .api, message: "\(type(of: error))"))
            }
        }
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
        let perPage = try params.integer("per_page") ?? 50
        guard ClientCertificates.perPageRange.contains(perPage) else { throw Arguments.invalid("per_page must be from 5 to 50") }
        let prefetch = try params.integer("prefetch_pages") ?? 0
        guard (0...8).contains(prefetch) else { throw Arguments.invalid("prefetch_pages must be from 0 to 8") }
        let status = try ListStatus.parse(try params.string("status"))
        // Checked now, so a bad zone id fails here rather than at the first cfcerts_iter_next().
        try ClientCertificates.checkIdentifier(zone, name: "zone id")
        let sequence = handle.client.clientCertificates.list(zoneID: zone, status: status, perPage: perPage, prefetchPages: prefetch)
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
        Arguments.hand(try Arguments.json(certificate), to: out)
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}

@c @implementation
public func cfcerts_iter_free(_ iter: OpaquePointer?) {
    guard let iter else { return }
    Unmanaged<IteratorHandle>.fromOpaque(UnsafeRawPointer(iter)).release()
}
