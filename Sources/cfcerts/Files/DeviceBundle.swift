import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A .p12 to write once the certificate is known, with everything else read and checked before any request: the
/// password, the chain, and the private key when it is the user's (`get --key`, `create --csr --key`).
struct DeviceBundle {
    let path: String
    let password: String
    let profile: PKCS12Profile
    let chainPEMs: [String]
    let force: Bool

    /// nil without --p12-out. Fails (before anything is sent) on a missing or refused password, an unreadable or
    /// invalid chain, a key that is not a usable private key, or an output path that would be refused.
    static func prepare(_ options: PKCS12Options, privateKeyPEM: String?, force: Bool,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DeviceBundle? {
        guard let path = options.p12Out else { return nil }
        let password: String
        if let file = options.p12PasswordFile {
            password = try PKCS12Bundle.password(fromFile: file, named: "--p12-password-file")
        } else if let value = environment[PKCS12Options.passwordVariable], !value.isEmpty {
            password = value
        } else {
            throw CLIFailure("--p12-out needs a password: --p12-password-file FILE, or the environment variable \(PKCS12Options.passwordVariable)")
        }
        let chainPEMs = try options.chain.map { [try OutputFile.read($0)] } ?? []
        try PKCS12Bundle.check(password: password, privateKeyPEM: privateKeyPEM, chainPEMs: chainPEMs)
        if !password.unicodeScalars.allSatisfy(\.isASCII) {
            StandardError.write("cfcerts: note: the .p12 password is not ASCII: OpenSSL reads the file, but Java (keytool, KeyStore) refuses such a password; prefer ASCII for keystores\n")
        }
        return DeviceBundle(path: path, password: password, profile: options.p12Profile ?? .modern,
                            chainPEMs: chainPEMs, force: force)
    }

    /// Writes the .p12 of `certificate` and `privateKeyPEM` (the friendly name, the alias keystores show, is the
    /// certificate's common name when it can be one), 0600, whole or not at all.
    func write(_ certificate: ClientCertificate, privateKeyPEM: String) throws {
        let commonName = certificate.commonName
        let friendlyName = (try? PKCS12Bundle.check(friendlyName: commonName)) != nil ? commonName : nil
        let bytes = try PKCS12Bundle.make(certificatePEM: certificate.certificate, privateKeyPEM: privateKeyPEM,
                                          chainPEMs: chainPEMs, password: password, profile: profile,
                                          friendlyName: friendlyName)
        try OutputFile.writeWhole(bytes, to: path, secret: true, replace: force)
    }
}
