import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension PKCS12Profile: ExpressibleByArgument {}

/// `--p12-out` and its companions on create, renew and get: the certificate, its key and a CA chain written as
/// one password-protected PKCS#12 file, the form phones, Windows and Java keystores import.
struct PKCS12Options: ParsableArguments {
    /// The environment variable that holds the password when --p12-password-file is not given.
    static let passwordVariable = "CFCERTS_P12_PASSWORD"

    @Option(help: ArgumentHelp("""
        Also write the certificate, its private key and --chain as a PKCS#12 file (.p12) here: 0600, whole or not \
        at all, never over a file without --force.
        """, valueName: "file"))
    var p12Out: String?

    @Option(help: ArgumentHelp("""
        The .p12's password: the file's one line. Without it: the environment variable CFCERTS_P12_PASSWORD \
        (there is no flag for the password itself: others can read flags in ps).
        """, valueName: "file"))
    var p12PasswordFile: String?

    @Option(help: ArgumentHelp("""
        modern (default: PBES2, AES-256-CBC, HMAC-SHA256, as OpenSSL 3 writes) or legacy (3DES, HMAC-SHA1: older \
        Android, iOS and Windows keystores).
        """, valueName: "profile"))
    var p12Profile: PKCS12Profile?

    @Option(help: ArgumentHelp("""
        CA certificates (PEM, one or more) to put in the .p12 after the certificate. Cloudflare's managed CA cannot \
        be downloaded through the API: without --chain the .p12 holds the certificate and key alone.
        """, valueName: "file"))
    var chain: String?

    func validate() throws {
        if p12Out == nil, p12PasswordFile != nil || p12Profile != nil || chain != nil {
            throw ValidationError("--p12-password-file, --p12-profile and --chain go with --p12-out")
        }
    }
}

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
