import CCFCerts
import CFCerts

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@c @implementation
public func cfcerts_pkcs12_create(_ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
                                  _ out_len: UnsafeMutablePointer<Int>?,
                                  _ params_json: UnsafePointer<CChar>?,
                                  _ password: UnsafePointer<CChar>?) -> Int32 {
    out?.pointee = nil
    out_len?.pointee = 0
    guard let out else { return LastError.invalid("out is NULL") }
    guard let out_len else { return LastError.invalid("out_len is NULL") }
    do throws(CFCertsError) {
        guard params_json != nil else { throw Arguments.invalid("params_json is NULL") }
        let params = try Arguments.object(
            params_json, name: "params_json",
            allowed: ["certificate_pem", "private_key_pem", "chain_pems", "profile", "friendly_name"])
        let certificate = try params.required(try params.string("certificate_pem"), "certificate_pem")
        let key = try params.required(try params.string("private_key_pem"), "private_key_pem")
        var chain: [String] = []
        if let value = params.fields["chain_pems"], value != .null {
            guard case .array(let items) = value else { throw Arguments.invalid("params_json.chain_pems must be an array of PEM strings") }
            for item in items {
                guard case .string(let pem) = item else { throw Arguments.invalid("params_json.chain_pems must be an array of PEM strings") }
                chain.append(pem)
            }
        }
        let profileName = try params.string("profile") ?? PKCS12Profile.modern.rawValue
        guard let profile = PKCS12Profile(rawValue: profileName) else {
            throw Arguments.invalid("params_json.profile must be modern or legacy")
        }
        // Read like any string argument (NULL, over 1 MiB, not UTF-8), but never named with its value.
        let secret = try Arguments.string(password, name: "password")
        let bytes = try PKCS12Bundle.make(
            certificatePEM: certificate, privateKeyPEM: key, chainPEMs: chain, password: secret, profile: profile,
            friendlyName: try params.string("friendly_name"))
        guard let copy = malloc(max(bytes.count, 1))?.assumingMemoryBound(to: UInt8.self) else {
            return LastError.outOfMemory(bytes: bytes.count)
        }
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { memcpy(copy, base, source.count) }
        }
        out.pointee = copy
        out_len.pointee = bytes.count
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}

@c @implementation
public func cfcerts_bytes_free(_ bytes: UnsafeMutablePointer<UInt8>?) {
    free(bytes)
}
