import CCFCerts
import CFCerts

@c @implementation
public func cfcerts_hostname_associations_get(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
    _ zone_id: UnsafePointer<CChar>?, _ mtls_certificate_id: UnsafePointer<CChar>?
) -> Int32 {
    handOut(out) { () throws(CFCertsError) -> String in
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zone_id, name: "zone_id")
        let authority = try mtls_certificate_id.map { pointer throws(CFCertsError) in
            try Arguments.string(pointer, name: "mtls_certificate_id")
        }
        let hostnames = try handle.run { client throws(CFCertsError) in
            try await client.hostnameAssociations.get(zoneID: zone, mtlsCertificateID: authority)
        }
        return try HostnameList(hostnames: hostnames).json()
    }
}

@c @implementation
public func cfcerts_hostname_associations_update(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
    _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?
) -> Int32 {
    listChange(out, client, zone_id, params_json) { associations, zone, hostnames, authority throws(CFCertsError) in
        try await associations.replace(zoneID: zone, hostnames: hostnames, mtlsCertificateID: authority)
    }
}

@c @implementation
public func cfcerts_hostname_associations_add(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
    _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?
) -> Int32 {
    listChange(out, client, zone_id, params_json) { associations, zone, hostnames, authority throws(CFCertsError) in
        try await associations.add(zoneID: zone, hostnames: hostnames, mtlsCertificateID: authority)
    }
}

@c @implementation
public func cfcerts_hostname_associations_remove(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
    _ zone_id: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?
) -> Int32 {
    listChange(out, client, zone_id, params_json) { associations, zone, hostnames, authority throws(CFCertsError) in
        try await associations.remove(zoneID: zone, hostnames: hostnames, mtlsCertificateID: authority)
    }
}

/// update / add / remove: `{"hostnames": [...], "mtls_certificate_id"?}` in, the list the server answered out.
private func listChange(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
    _ zoneID: UnsafePointer<CChar>?, _ paramsJSON: UnsafePointer<CChar>?,
    _ change: @escaping @Sendable (HostnameAssociations, String, [String], String?) async throws(CFCertsError) -> [String]
) -> Int32 {
    handOut(out) { () throws(CFCertsError) -> String in
        let handle = try ClientHandle.from(client)
        let zone = try Arguments.string(zoneID, name: "zone_id")
        guard paramsJSON != nil else { throw Arguments.invalid("params_json is NULL") }
        let params = try Arguments.object(paramsJSON, name: "params_json", allowed: ["hostnames", "mtls_certificate_id"])
        guard case .array(let values)? = params.fields["hostnames"] else {
            throw Arguments.invalid("params_json.hostnames is required: an array of hostnames ([] for none)")
        }
        let hostnames = try values.enumerated().map { index, value throws(CFCertsError) -> String in
            guard case .string(let hostname) = value else {
                throw Arguments.invalid("params_json.hostnames[\(index)] must be a string")
            }
            return hostname
        }
        let authority = try params.string("mtls_certificate_id")
        let answered = try handle.run { client throws(CFCertsError) in
            try await change(client.hostnameAssociations, zone, hostnames, authority)
        }
        return try HostnameList(hostnames: answered).json()
    }
}

/// `{"hostnames": [...]}`: the API's `result`.
private struct HostnameList: Encodable {
    let hostnames: [String]

    func json() throws(CFCertsError) -> String { try Arguments.json(self) }
}
