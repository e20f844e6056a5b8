import ArgumentParser
import CFCerts

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
