#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a bulk run does to each of its items.
public enum BulkOperation: String, Sendable, CaseIterable {
    case revoke, reactivate, create
}

/// One thing for a bulk run to do: a certificate to revoke or reactivate, or a CSR to issue a certificate for.
public struct BulkItem: Sendable, Equatable {
    /// The certificate's id (revoke, reactivate).
    public var certificateID: String?
    /// The PEM CSR (create).
    public var csr: String?
    /// Days the issued certificate is valid (create).
    public var validityDays: Int
    /// The caller's label for the item (a file name, a device), handed back in its outcome.
    public var name: String?
    /// The certificate's status when the caller chose the item (revoke, reactivate; `revoke --all` lists the zone):
    /// an item seen in the status its operation starts from is sent even if the journal says an earlier attempt of
    /// this run did it (the certificate was changed back since). nil: not known, the journal is trusted.
    public var seenStatus: ClientCertificateStatus?

    public static func certificate(_ id: String, name: String? = nil, seenStatus: ClientCertificateStatus? = nil) -> BulkItem {
        BulkItem(certificateID: id, csr: nil, validityDays: 0, name: name, seenStatus: seenStatus)
    }

    public static func csr(_ pem: String, validityDays: Int, name: String? = nil) -> BulkItem {
        BulkItem(certificateID: nil, csr: pem, validityDays: validityDays, name: name)
    }

    /// Whether the caller saw the certificate in the status `operation` starts from (active for a revoke,
    /// pending_revocation for a reactivate): then it is not done, whatever a journal says.
    func isSeenUndone(by operation: BulkOperation) -> Bool {
        switch operation {
        case .revoke: seenStatus == .active
        case .reactivate: seenStatus == .pendingRevocation
        case .create: false
        }
    }

    /// The item's key in a journal: the certificate id, or a digest of the CSR without its whitespace (the API
    /// returns the CSR on every certificate, which is how a create whose answer was lost is found again).
    var journalKey: String {
        if let certificateID { return "id:" + certificateID }
        return "csr:" + CSRText.digest(csr ?? "")
    }
}

/// What came of one item.
public struct BulkOutcome: Sendable {
    public enum Disposition: String, Sendable {
        /// Done by this run: `certificate` is the API's answer.
        case done
        /// Found already done, with no request for it: the journal says an earlier run did it, or an earlier run's
        /// request whose answer was lost turned out to have been carried out.
        case alreadyDone = "already_done"
        /// Not done: `error` says why.
        case failed
    }

    /// The item's position in the run's list.
    public var index: Int
    public var item: BulkItem
    public var disposition: Disposition
    /// The certificate's id, when known (an issued certificate's too).
    public var certificateID: String?
    /// The certificate as the API last described it, when this run saw it.
    public var certificate: ClientCertificate?
    public var error: CFCertsError?
    /// The item is done (its certificate is here, to be saved) but the journal could not record it: the run starts
    /// no more items, and a later run with this journal settles the item again.
    public var journalError: CFCertsError?
}

/// A bulk run's totals.
public struct BulkSummary: Sendable, Equatable {
    public var total = 0
    public var done = 0
    public var alreadyDone = 0
    public var failed = 0
    /// Items never started (the run was cancelled).
    public var notStarted = 0
    /// Answers 429 the run's requests drew (0 while pacing keeps to the budget).
    public var rateLimitedAnswers = 0
    public var elapsed: Duration = .zero
    /// Why the journal could not be written, when it could not: the run then started no more items.
    public var journalError: CFCertsError?
}

/// CSR text as compared across runs: PEM without whitespace or line endings.
enum CSRText {
    static func normalized(_ pem: String) -> String {
        String(String.UnicodeScalarView(pem.unicodeScalars.filter { !$0.properties.isWhitespace }))
    }

    static func digest(_ pem: String) -> String {
        SHA256Hex.of(normalized(pem))
    }
}
