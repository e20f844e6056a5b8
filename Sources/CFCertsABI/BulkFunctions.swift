import CCFCerts
import CFCerts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What a `cfcerts_bulk *` points to: the core's run and the client it keeps alive. Pulled from one thread at a
/// time (the header says so); `cancel` may come from any thread (the run is Sendable).
final class BulkHandle: @unchecked Sendable {
    let run: BulkRun
    private let client: ClientHandle
    private var over = false
    /// The process that started the run: its tasks do not exist in a child of `fork()`.
    private let pid = getpid()

    init(client: ClientHandle, run: BulkRun) {
        self.client = client
        self.run = run
        client.retainUse()
    }

    /// Lets go of the client; the last user shuts it down, blocking. Called by cfcerts_bulk_free on the caller's
    /// thread.
    func close() {
        run.cancel()
        client.releaseUse()
    }

    /// The next outcome as JSON, nil when the run is over.
    func next() throws(CFCertsError) -> [UInt8]? {
        try checkProcess()
        guard !over else { return nil }
        let run = self.run
        guard let outcome = BlockingBridge.run({ await run.next() }) else {
            over = true
            return nil
        }
        return try BulkJSON.outcome(outcome)
    }

    func summary() throws(CFCertsError) -> [UInt8] {
        try checkProcess()
        guard let summary = run.summary else {
            throw Arguments.invalid("the run is not over: call cfcerts_bulk_next() until CFCERTS_ITEROVER first")
        }
        return try BulkJSON.summary(summary)
    }

    private func checkProcess() throws(CFCertsError) {
        guard pid == getpid() else {
            throw Arguments.invalid("this bulk run was started before fork(): start a new one in this process")
        }
    }

    static func from(_ pointer: OpaquePointer?) throws(CFCertsError) -> BulkHandle {
        guard let pointer else { throw Arguments.invalid("bulk is NULL") }
        return Unmanaged<BulkHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// The bulk parameters and results as the header describes them.
enum BulkJSON {
    static func items(_ params: JSONObject, for operation: BulkOperation) throws(CFCertsError) -> [BulkItem] {
        switch operation {
        case .revoke, .reactivate:
            guard params.fields["items"] == nil else { throw Arguments.invalid("params_json.items is for create; \(operation.rawValue) takes ids") }
            guard case .array(let ids)? = params.fields["ids"] else { throw Arguments.invalid("params_json.ids must be an array of certificate ids") }
            var items: [BulkItem] = []
            for (index, value) in ids.enumerated() {
                guard case .string(let id) = value else { throw Arguments.invalid("params_json.ids[\(index)] must be a string") }
                items.append(.certificate(id))
            }
            return items
        case .create:
            guard params.fields["ids"] == nil else { throw Arguments.invalid("params_json.ids is for revoke and reactivate; create takes items") }
            guard case .array(let values)? = params.fields["items"] else {
                throw Arguments.invalid("params_json.items must be an array of {\"csr\", \"validity_days\"} objects")
            }
            var items: [BulkItem] = []
            for (index, value) in values.enumerated() {
                guard case .object(let fields) = value else { throw Arguments.invalid("params_json.items[\(index)] must be an object") }
                let name = "params_json.items[\(index)]"
                if let unknown = fields.keys.sorted().first(where: { !["csr", "validity_days", "name"].contains($0) }) {
                    throw Arguments.invalid("\(name) has an unknown key '\(unknown.prefix(64))' (known: csr, name, validity_days)")
                }
                let item = JSONObject(fields: fields, name: name)
                let csr = try item.required(try item.string("csr"), "csr")
                let days = try item.required(try item.integer("validity_days"), "validity_days")
                items.append(.csr(csr, validityDays: days, name: try item.string("name")))
            }
            return items
        }
    }

    static func outcome(_ outcome: BulkOutcome) throws(CFCertsError) -> [UInt8] {
        var fields: [String: JSONValue] = [
            "index": .number(Double(outcome.index)),
            "status": .string(outcome.disposition.rawValue),
        ]
        if let id = outcome.certificateID { fields["id"] = .string(id) }
        if let name = outcome.item.name { fields["name"] = .string(name) }
        var json = Array(try Arguments.json(JSONValue.object(fields)).utf8)
        // The certificate and the error are models of their own: spliced in rather than converted.
        var extra: [UInt8] = []
        if let certificate = outcome.certificate {
            extra += Array(#","certificate":"#.utf8) + Array(try Arguments.json(certificate).utf8)
        }
        if let error = outcome.error {
            extra += Array(#","error":"#.utf8) + Array(try Arguments.json(ErrorJSON(error)).utf8)
        }
        if let error = outcome.journalError {
            extra += Array(#","journal_error":"#.utf8) + Array(try Arguments.json(ErrorJSON(error)).utf8)
        }
        json.removeLast()  // the closing brace
        return json + extra + [UInt8(ascii: "}")]
    }

    static func summary(_ summary: BulkSummary) throws(CFCertsError) -> [UInt8] {
        let (seconds, attoseconds) = summary.elapsed.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let journalError = try summary.journalError.map { error throws(CFCertsError) in
            #","journal_error":"# + (try Arguments.json(ErrorJSON(error)))
        } ?? ""
        return Array("""
            {"total":\(summary.total),"done":\(summary.done),"already_done":\(summary.alreadyDone),\
            "failed":\(summary.failed),"not_started":\(summary.notStarted),\
            "rate_limited_answers":\(summary.rateLimitedAnswers),"elapsed_ms":\(milliseconds)\(journalError)}
            """.utf8)
    }

    /// An item's error, with the fields of `cfcerts_error`.
    private struct ErrorJSON: Encodable {
        let code: Int32
        let message: String
        let http_status: Int
        let ray_id: String
        let cloudflare_errors: [CloudflareMessage]

        init(_ error: CFCertsError) {
            code = ReturnCode.of(error.kind)
            message = error.message
            http_status = error.httpStatus ?? 0
            ray_id = error.rayID ?? ""
            cloudflare_errors = error.cloudflareErrors
        }
    }
}

@c @implementation
public func cfcerts_bulk_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
                             _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?) -> Int32 {
    handOutObject(out) { () throws(CFCertsError) -> AnyObject in
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zone_id, name: "zone_id")
        guard params_json != nil else { throw Arguments.invalid("params_json is NULL: it names the operation and the items") }
        let params = try Arguments.object(params_json, name: "params_json",
                                          allowed: ["operation", "ids", "items", "concurrency", "journal"])
        let name = try params.required(try params.string("operation"), "operation")
        guard let operation = BulkOperation(rawValue: name) else {
            throw Arguments.invalid("params_json.operation must be revoke, reactivate or create")
        }
        let options = BulkOptions(concurrency: try params.integer("concurrency") ?? BulkOptions().concurrency, journalPath: try params.string("journal"))
        let run = try handle.client.clientCertificates.bulk(
            operation, zoneID: zone, items: try BulkJSON.items(params, for: operation), options: options,
            taskExecutor: BlockingExecutor.shared)
        return BulkHandle(client: handle, run: run)
    }
}

@c @implementation
public func cfcerts_bulk_next(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ bulk: OpaquePointer?) -> Int32 {
    handOutNext(out) { () throws(CFCertsError) -> [UInt8]? in try BulkHandle.from(bulk).next() }
}

@c @implementation
public func cfcerts_bulk_summary(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ bulk: OpaquePointer?) -> Int32 {
    handOutBytes(out) { () throws(CFCertsError) -> [UInt8] in try BulkHandle.from(bulk).summary() }
}

@c @implementation
public func cfcerts_bulk_cancel(_ bulk: OpaquePointer?) {
    (try? BulkHandle.from(bulk))?.run.cancel()
}

@c @implementation
public func cfcerts_bulk_free(_ bulk: OpaquePointer?) {
    guard let bulk else { return }
    Unmanaged<BulkHandle>.fromOpaque(UnsafeRawPointer(bulk)).takeRetainedValue().close()
}
