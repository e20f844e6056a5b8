#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/zones/{zone_id}/certificate_authorities/hostname_associations`: the hostnames on which Cloudflare's edge asks
/// clients for a certificate of a CA. Every method throws `CFCertsError` only.
///
/// Each CA has one list per zone: the Cloudflare-managed CA (`mtlsCertificateID` nil, the CA of every certificate
/// `ClientCertificates.create` issues) and each CA uploaded to mTLS certificate management (its 36-character id).
/// `replace` sends the whole list: the API replaces that CA's list with it, and `[]` removes every hostname.
public struct HostnameAssociations: Sendable {
    let transport: Transport

    /// The longest hostname accepted (a DNS name's limit).
    public static let maxHostnameLength = 253
    /// The most hostnames one list may hold (the request body stays far below the API's size limit).
    public static let maxHostnames = 10_000

    /// The hostnames associated with the CA (`mtlsCertificateID` nil: the Cloudflare-managed CA).
    public func get(zoneID: String, mtlsCertificateID: String? = nil) async throws(CFCertsError) -> [String] {
        try PathSegment.validate(zoneID, name: "zone id")
        try Self.checkCertificateID(mtlsCertificateID)
        var request = APIRequest(method: .get, pathSegments: Self.path(zoneID))
        if let mtlsCertificateID { request.query = [("mtls_certificate_id", mtlsCertificateID)] }
        return try await perform(request, operation: "reading hostname associations", access: .read)
    }

    /// Replaces the CA's whole list with `hostnames` (`[]` removes them all) and returns the list the server
    /// answered. The body always holds `"hostnames"`, also when it is empty.
    public func replace(zoneID: String, hostnames: [String], mtlsCertificateID: String? = nil)
        async throws(CFCertsError) -> [String]
    {
        try PathSegment.validate(zoneID, name: "zone id")
        try Self.checkCertificateID(mtlsCertificateID)
        try Self.checkHostnames(hostnames)
        // Synthesized: `hostnames` always (also `[]`), `mtls_certificate_id` only when given.
        struct Body: Encodable {
            let hostnames: [String]
            let mtls_certificate_id: String?
        }
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(Body(hostnames: hostnames, mtls_certificate_id: mtlsCertificateID)))
        } catch {
            throw .invalidArgument("the hostnames cannot be encoded as JSON")
        }
        let request = APIRequest(method: .put, pathSegments: Self.path(zoneID), body: body)
        return try await perform(request, operation: "replacing hostname associations", access: .write)
    }

    /// Adds `hostnames` to the CA's list (those already on it, in any letter case, are not added twice): reads the
    /// list, replaces it with the union, and returns the list the server answered.
    public func add(zoneID: String, hostnames: [String], mtlsCertificateID: String? = nil)
        async throws(CFCertsError) -> [String]
    {
        try Self.checkHostnames(hostnames)
        let current = try await get(zoneID: zoneID, mtlsCertificateID: mtlsCertificateID)
        let wanted = Self.adding(hostnames, to: current)
        if wanted == current { return current }
        return try await replace(zoneID: zoneID, hostnames: wanted, mtlsCertificateID: mtlsCertificateID)
    }

    /// Removes `hostnames` (in any letter case) from the CA's list: reads the list, replaces it with what is left,
    /// and returns the list the server answered. With `allowingEmpty` false, a removal that would leave the list
    /// empty is refused (`invalidArgument`) before anything is written.
    public func remove(zoneID: String, hostnames: [String], mtlsCertificateID: String? = nil,
                       allowingEmpty: Bool = true) async throws(CFCertsError) -> [String]
    {
        try Self.checkHostnames(hostnames)
        let current = try await get(zoneID: zoneID, mtlsCertificateID: mtlsCertificateID)
        let wanted = Self.removing(hostnames, from: current)
        if wanted == current { return current }
        guard !wanted.isEmpty || allowingEmpty else {
            throw .invalidArgument("that would remove every hostname of the CA (mTLS would be asked nowhere); allow an empty list to do so (cfcerts: --allow-empty)")
        }
        return try await replace(zoneID: zoneID, hostnames: wanted, mtlsCertificateID: mtlsCertificateID)
    }

    /// `current` followed by each of `hostnames` it lacks (compared without letter case), each once.
    public static func adding(_ hostnames: [String], to current: [String]) -> [String] {
        var result = current
        var seen = Set(current.map { $0.lowercased() })
        for hostname in hostnames where seen.insert(hostname.lowercased()).inserted {
            result.append(hostname)
        }
        return result
    }

    /// `current` without `hostnames` (compared without letter case).
    public static func removing(_ hostnames: [String], from current: [String]) -> [String] {
        let unwanted = Set(hostnames.map { $0.lowercased() })
        return current.filter { !unwanted.contains($0.lowercased()) }
    }

    /// A CA id of mTLS certificate management: a UUID (36 characters, `8-4-4-4-12` hex digits). Checked before any
    /// request; nil is the Cloudflare-managed CA.
    public static func checkCertificateID(_ id: String?) throws(CFCertsError) {
        guard let id else { return }
        let bytes = Array(id.utf8)
        let isUUID = bytes.count == 36 && bytes.indices.allSatisfy { index in
            [8, 13, 18, 23].contains(index)
                ? bytes[index] == UInt8(ascii: "-")
                : Self.isHexDigit(bytes[index])
        }
        guard isUUID else {
            throw .invalidArgument("mtls_certificate_id must be a CA id of 36 characters (a UUID such as b2134436-2555-4acf-be5b-26c48136575e)")
        }
    }

    /// Hostnames: at most `maxHostnames` of them, each 1 to 253 bytes of dot-separated labels of 1 to 63 letters,
    /// digits, `-` (not first or last) and `_`; the first label may be `*` alone (`*.example.com`: every name under
    /// it).
    public static func checkHostnames(_ hostnames: [String]) throws(CFCertsError) {
        guard hostnames.count <= maxHostnames else {
            throw .invalidArgument("at most \(maxHostnames) hostnames may be associated with one CA")
        }
        for hostname in hostnames where !isHostname(hostname) {
            let shown = String(hostname.unicodeScalars.prefix(64).map { $0.isASCII && $0.value >= 32 ? Character($0) : "?" })
            throw .invalidArgument("'\(shown)' is not a hostname: 1 to \(maxHostnameLength) bytes of labels of letters, digits, '-' and '_' joined by dots, the first label may be '*'")
        }
    }

    static func isHostname(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...maxHostnameLength).contains(bytes.count) else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return labels.enumerated().allSatisfy { index, label in
            if index == 0, labels.count > 1, label.elementsEqual([UInt8(ascii: "*")]) { return true }
            return (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy(isLabelByte)
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
    }

    private static func isLabelByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    private static func path(_ zoneID: String) -> [String] {
        ["zones", zoneID, "certificate_authorities", "hostname_associations"]
    }

    /// The answer's `result.hostnames`.
    private struct Association: Decodable {
        let hostnames: [String]?
    }

    private func perform(_ request: APIRequest, operation: String, access: PermissionHint.Access)
        async throws(CFCertsError) -> [String]
    {
        do throws(CFCertsError) {
            let response = try await transport.send(request, deadline: transport.callDeadline())
            let answer = try ResponseDecoder.decode(Association.self, from: response,
                                                    secrets: transport.configuration.credentials.secrets)
            return answer.result.hostnames ?? []
        } catch {
            throw PermissionHint.explain(error, operation: operation, access: access,
                                         credentialsAccepted: transport.credentialsAccepted)
        }
    }
}
