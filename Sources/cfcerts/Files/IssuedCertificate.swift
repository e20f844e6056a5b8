import CFCerts

/// What happens to a certificate once the API has issued it: it is written to `--cert-out` and `--p12-out` and
/// shown; if any of these fails, its id and PEM still reach standard error before the command fails, so an issued
/// certificate is never lost (a rerun would issue a second one).
enum IssuedCertificate {
    static func deliver(_ certificate: ClientCertificate, certOut: String?,
                        bundle: (DeviceBundle, privateKeyPEM: String)? = nil, force: Bool, output: OutputFormat) throws {
        do {
            if let certOut {
                try OutputFile.write(certificate.certificate + "\n", to: certOut, secret: false, force: force)
            }
            if let (bundle, privateKeyPEM) = bundle {
                try bundle.write(certificate, privateKeyPEM: privateKeyPEM)
            }
            try CertificateWriter(format: output).write(certificate, withPEM: certOut == nil)
        } catch {
            rescue(certificate, because: error)
            throw error
        }
    }

    /// Writes the certificate's id and PEM to standard error, the one output still likely to be seen.
    static func rescue(_ certificate: ClientCertificate, because error: any Error) {
        let reason = (error as? CLIFailure)?.message ?? "\(error)"
        StandardError.write("""
            cfcerts: certificate \(certificate.id) WAS ISSUED, but \(reason). Save it from here (or fetch it with \
            `cfcerts get \(certificate.id)`); do not issue it again:
            \(certificate.certificate)

            """)
    }
}
