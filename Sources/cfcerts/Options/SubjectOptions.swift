import ArgumentParser
import CFCerts

/// The subject of a new key's CSR, and where the key and CSR go.
struct SubjectOptions: ParsableArguments {
    @Option(name: .customLong("cn"), help: "Common name (required to generate a key).")
    var commonName: String?

    @Option(name: .customLong("org"), help: "Organization.")
    var organization: String?

    @Option(name: .customLong("ou"), help: "Organizational unit.")
    var organizationalUnit: String?

    @Option(help: "Country, two letters.")
    var country: String?

    @Option(help: "State or province.")
    var state: String?

    @Option(help: "Locality (city).")
    var locality: String?

    @Option(help: "p256 or rsa2048 (default: p256).")
    var keyType: CertificateSigningRequests.KeyType?

    var subject: CSRSubject? {
        commonName.map {
            CSRSubject(commonName: $0, organization: organization, organizationalUnit: organizationalUnit,
                       country: country, state: state, locality: locality)
        }
    }

    var givesSubjectField: Bool {
        [commonName, organization, organizationalUnit, country, state, locality].contains { $0 != nil }
    }
}

extension CertificateSigningRequests.KeyType: ExpressibleByArgument {}
