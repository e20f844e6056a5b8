import CCFCerts
import CFCerts

@c @implementation
public func cfcerts_list_page(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
                              _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?) -> Int32 {
    handOutBytes(out) { () throws(CFCertsError) -> [UInt8] in
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zone_id, name: "zone_id")
        let params = try Arguments.object(params_json, name: "params_json",
                                          allowed: ["page", "per_page", "status", "limit", "offset"])
        let page = try params.integer("page") ?? 1
        let perPage = try params.integer("per_page") ?? 20
        let status = try ListStatus.parse(try params.string("status"))
        let limit = try params.integer("limit")
        let offset = try params.integer("offset")
        let result = try handle.run { client throws(CFCertsError) in
            try await client.clientCertificates.listRawPage(
                zoneID: zone, page: page, perPage: perPage, status: status, limit: limit, offset: offset)
        }
        // The certificates and result_info as the server sent them (as the iterator hands them out).
        var json = Array(#"{"result":["#.utf8)
        for (index, item) in result.items.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json.append(contentsOf: item.json)
        }
        json.append(UInt8(ascii: "]"))
        if let info = result.resultInfoJSON {
            json.append(contentsOf: #","result_info":"#.utf8)
            json.append(contentsOf: info)
        }
        json.append(UInt8(ascii: "}"))
        return json
    }
}

@c @implementation
public func cfcerts_get(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
                        _ zone_id: UnsafePointer<CChar>?, _ certificate_id: UnsafePointer<CChar>?) -> Int32 {
    itemCall(out, client, zone_id, certificate_id) { client, zone, id throws(CFCertsError) in
        try await client.clientCertificates.get(zoneID: zone, id: id)
    }
}

@c @implementation
public func cfcerts_create(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
                           _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?) -> Int32 {
    handOut(out) { () throws(CFCertsError) -> String in
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zone_id, name: "zone_id")
        guard params_json != nil else { throw Arguments.invalid("params_json is NULL") }
        let params = try Arguments.object(params_json, name: "params_json", allowed: ["csr", "validity_days"])
        let csr = try params.required(try params.string("csr"), "csr")
        let days = try params.required(try params.integer("validity_days"), "validity_days")
        let created = try handle.run { client throws(CFCertsError) in
            try await client.clientCertificates.create(zoneID: zone, csr: csr, validityDays: days)
        }
        return try Arguments.json(created)
    }
}

@c @implementation
public func cfcerts_reactivate(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
                               _ zone_id: UnsafePointer<CChar>?, _ certificate_id: UnsafePointer<CChar>?) -> Int32 {
    itemCall(out, client, zone_id, certificate_id) { client, zone, id throws(CFCertsError) in
        try await client.clientCertificates.reactivate(zoneID: zone, id: id)
    }
}

@c @implementation
public func cfcerts_revoke(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
                           _ zone_id: UnsafePointer<CChar>?, _ certificate_id: UnsafePointer<CChar>?) -> Int32 {
    itemCall(out, client, zone_id, certificate_id) { client, zone, id throws(CFCertsError) in
        try await client.clientCertificates.revoke(zoneID: zone, id: id)
    }
}

/// get / reactivate / revoke: a zone id and a certificate id in, one certificate out.
private func itemCall(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
    _ zoneID: UnsafePointer<CChar>?, _ certificateID: UnsafePointer<CChar>?,
    _ operation: @escaping @Sendable (CFCertsClient, String, String) async throws(CFCertsError) -> ClientCertificate
) -> Int32 {
    handOut(out) { () throws(CFCertsError) -> String in
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zoneID, name: "zone_id")
        let id = try Arguments.string(certificateID, name: "certificate_id")
        let certificate = try handle.run { client throws(CFCertsError) in try await operation(client, zone, id) }
        return try Arguments.json(certificate)
    }
}

/// The `status` parameter: one of the documented statuses, or "all" (nil: no filter).
enum ListStatus {
    static func parse(_ text: String?) throws(CFCertsError) -> ClientCertificateStatus? {
        guard let text, text != "all" else { return nil }
        let status = ClientCertificateStatus(rawValue: text)
        guard ClientCertificateStatus.documented.contains(status) else {
            throw Arguments.invalid("status must be all, active, pending_revocation, revoked or pending_reactivation")
        }
        return status
    }
}
