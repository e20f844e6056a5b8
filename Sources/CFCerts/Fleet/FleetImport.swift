#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import X509

/// Which existing certificate to adopt for an entry (`Fleet.adopt`).
public enum FleetAdoption: Sendable, Hashable {
    /// The certificate with this id.
    case id(String)
    /// The one active certificate of the entry's zone with this common name (several, or none, is refused).
    case commonName(String)
}

extension Fleet {
    /// Adopts an existing certificate of the entry's zone into the state, so the manifest manages it from now on
    /// (`cfcerts import`). Refused, with nothing written, when the entry is unknown or already has a certificate,
    /// when no certificate or several match, when the certificate is not active or another entry holds it, or when
    /// `privateKeyPEM` (its key, when the caller has it) is not the certificate's. Without its key, an entry whose
    /// key cfcerts makes is planned for replacement (cfcerts cannot write a key it never had). Returns the
    /// adopted certificate.
    public func adopt(_ adoption: FleetAdoption, as name: String, manifest: FleetManifest, stateFolder: String,
                      privateKeyPEM: String? = nil) async throws(CFCertsError) -> ClientCertificate {
        guard let entry = manifest.entries.first(where: { $0.name == name }) else {
            throw .invalidArgument("the manifest has no entry \(name)")
        }
        let lock = try FleetState.openForRun(stateFolder)
        defer { lock.release() }
        var state = try FleetState(folder: stateFolder)
        if let held = state.entries[name] {
            throw .invalidArgument("\(name) already has certificate \(held.certificateID) in the state: nothing adopted")
        }
        guard try state.pending(name) == nil else {
            throw .invalidArgument("\(name) has a new certificate under way: run apply to finish it first")
        }
        let certificate = try await find(adoption, zone: entry.zoneID)
        guard certificate.status == .active else {
            throw .invalidArgument("certificate \(certificate.id) is \(certificate.status.rawValue), not active: nothing adopted")
        }
        if let other = state.entries.first(where: { $0.value.certificateID == certificate.id }) {
            throw .invalidArgument("certificate \(certificate.id) is already the certificate of \(other.key): nothing adopted")
        }
        var keyType: CertificateSigningRequests.KeyType?
        if let privateKeyPEM {
            keyType = try Self.checkKey(privateKeyPEM, of: certificate)
        }
        let spec: FleetState.Spec
        switch entry.source {
        case .csr:
            spec = FleetState.Spec(subject: nil, keyType: nil, csrDigest: CSRText.digest(certificate.csr),
                                   validityDays: certificate.validityDays ?? entry.validityDays)
        case .generated:
            spec = FleetState.Spec(subject: Self.subject(of: certificate), keyType: keyType, csrDigest: nil,
                                   validityDays: certificate.validityDays ?? entry.validityDays)
        }
        if let privateKeyPEM { try FleetFiles.writeWhole(privateKeyPEM, to: state.keyPath(name), secret: true) }
        try state.set(FleetState.Entry(zone: entry.zoneID, certificateID: certificate.id, spec: spec, hookPending: false,
                                       revokedByManifest: false), for: name)
        return certificate
    }

    private func find(_ adoption: FleetAdoption, zone: String) async throws(CFCertsError) -> ClientCertificate {
        switch adoption {
        case .id(let id):
            return try await client.clientCertificates.get(zoneID: zone, id: id)
        case .commonName(let commonName):
            var found: [ClientCertificate] = []
            do {
                for try await certificate in try client.clientCertificates.list(zoneID: zone, status: .active)
                where certificate.commonName == commonName {
                    found.append(certificate)
                }
            } catch let error as CFCertsError {
                throw error
            } catch {
                throw CFCertsError(kind: .connection, message: "listing zone \(zone) failed: \(error)")
            }
            guard found.count == 1, let certificate = found.first else {
                if found.isEmpty { throw .invalidArgument("no active certificate of zone \(zone) has the common name \(commonName)") }
                throw .invalidArgument("\(found.count) active certificates have the common name \(commonName) (\(found.map(\.id).sorted().joined(separator: ", "))): adopt one by its id")
            }
            return certificate
        }
    }

    /// The key's type, once it is checked to be the certificate's.
    static func checkKey(_ pem: String, of certificate: ClientCertificate) throws(CFCertsError) -> CertificateSigningRequests.KeyType {
        let parsed: Certificate
        do {
            parsed = try Certificate(pemEncoded: LineEndings.normalized(certificate.certificate))
        } catch {
            throw CFCertsError(kind: .decoding, message: "certificate \(certificate.id)'s PEM cannot be read")
        }
        let generated: CertificateSigningRequests.Generated
        do throws(CFCertsError) {
            generated = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "key check"), privateKeyPEM: pem)
        } catch {
            throw .invalidArgument("the key is not a PEM P-256 or RSA-2048 private key")
        }
        guard let request = try? CertificateSigningRequest(pemEncoded: generated.csrPEM),
              request.publicKey == parsed.publicKey
        else {
            throw .invalidArgument("the key is not certificate \(certificate.id)'s: nothing adopted")
        }
        return generated.keyType
    }

    static func subject(of certificate: ClientCertificate) -> CSRSubject {
        func field(_ text: String) -> String? { text.isEmpty ? nil : text }
        return CSRSubject(commonName: certificate.commonName, organization: field(certificate.organization),
                          organizationalUnit: field(certificate.organizationalUnit), country: field(certificate.country),
                          state: field(certificate.state), locality: field(certificate.location))
    }
}
