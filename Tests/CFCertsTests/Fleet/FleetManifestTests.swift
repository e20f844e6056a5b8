@testable import CFCerts
import Foundation
import Testing

@Suite("Fleet manifest")
struct FleetManifestTests {
    static let zone = String(repeating: "a", count: 32)

    static func parse(_ json: String, base: String = "/srv/fleet") throws -> FleetManifest {
        try FleetManifest(json: Array(json.utf8), baseDirectory: base)
    }

    /// The message of the error a manifest draws.
    static func refusal(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return (error as? CFCertsError)?.message
        }
    }

    @Test("defaults fill every entry, an entry's fields override them, a subject field by field")
    func defaultsMerge() throws {
        let manifest = try Self.parse("""
        {"zone": "\(Self.zone)", "prune": "revoke",
         "defaults": {"validity_days": 90, "renew_before": "30d", "key": {"type": "rsa2048", "rotation": "never"},
                      "subject": {"organization": "Acme", "country": "US"}, "outputs": {"dir": "certs"}, "hook": "true"},
         "certificates": [
           {"name": "a", "subject": {"common_name": "a.example.com"}},
           {"name": "b", "subject": {"common_name": "b.example.com", "organization": "Other"}, "validity_days": 30,
            "key": {"type": "p256"}, "renew_before": "50%", "status": "revoked", "outputs": {"files": ["certificate"]}},
           {"name": "c", "csr": "csrs/c.csr"}
         ]}
        """)
        #expect(manifest.prune == .revoke)
        let a = manifest.entries[0], b = manifest.entries[1], c = manifest.entries[2]
        #expect(a.zoneID == Self.zone && a.validityDays == 90 && a.renewBefore == .seconds(30 * 86_400) && a.hook == "true")
        #expect(a.source == .generated(subject: CSRSubject(commonName: "a.example.com", organization: "Acme", country: "US"),
                                       keyType: .rsa2048, rotation: .never))
        #expect(a.outputs.folder == "/srv/fleet/certs" && a.outputs.files == [.certificate, .key])
        #expect(b.source == .generated(subject: CSRSubject(commonName: "b.example.com", organization: "Other", country: "US"),
                                       keyType: .p256, rotation: .never))
        #expect(b.validityDays == 30 && b.renewBefore == .percent(50) && b.status == .revoked)
        #expect(b.outputs.folder == "/srv/fleet/certs" && b.outputs.files == [.certificate])
        #expect(c.source == .csr(path: "/srv/fleet/csrs/c.csr"))
        #expect(c.outputs.files == [.certificate], "an owner's CSR: cfcerts has no key to write")
    }

    @Test("what is left out takes the documented defaults")
    func bareDefaults() throws {
        let manifest = try Self.parse(#"{"zone": "\#(Self.zone)", "certificates": [{"name": "x", "subject": {"common_name": "x"}}]}"#)
        let entry = try #require(manifest.entries.first)
        #expect(manifest.prune == .keep)
        #expect(entry.validityDays == 365 && entry.renewBefore == .percent(33) && entry.status == .active)
        #expect(entry.source == .generated(subject: CSRSubject(commonName: "x"), keyType: .p256, rotation: .always))
        #expect(entry.outputs.folder == nil && entry.hook == nil)
    }

    @Test("a malformed manifest is refused, naming the field")
    func refusals() {
        let z = Self.zone
        let cases: [(String, String)] = [
            ("[]", "the top level must be an object"),
            ("{", "not valid JSON"),
            (#"{"zone": "\#(z)"}"#, "certificates is missing"),
            (#"{"zone": "\#(z)", "certificates": [], "colour": 1}"#, "colour is not a manifest field"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "validty_days": 5}]}"#,
             "certificates[0].validty_days is not a manifest field"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}}, {"name": "A", "subject": {"common_name": "b"}}]}"#,
             "certificates[1].name \"A\" is also the name of certificates[0]"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "../x", "subject": {"common_name": "a"}}]}"#, "may hold only"),
            (#"{"zone": "\#(z)", "certificates": [{"name": ".hidden", "subject": {"common_name": "a"}}]}"#, "may hold only"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a"}]}"#, "subject.common_name is missing"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "csr": "a.csr", "subject": {"common_name": "a"}}]}"#, "excludes key and subject"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "csr": "a.csr", "outputs": {"files": ["key"]}}]}"#, "asks for the key"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "csr": "x.csr"}, {"name": "b", "csr": "x.csr"}]}"#, "is also the CSR of \"a\""),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "validity_days": 0}]}"#, "from 1 to 3650"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "validity_days": 1.5}]}"#, "whole number"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "validity_days": 1e300}]}"#, "whole number"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "renew_before": "100%"}]}"#, "renew_before"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "renew_before": "3w"}]}"#, "renew_before"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "key": {"type": "dsa"}}]}"#,
             "key.type must be one of \"p256\", \"rsa2048\""),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "outputs": {"dir": "o", "files": ["chain"]}}]}"#,
             "chain_file is missing"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "outputs": {"dir": "o", "files": ["pkcs12"]}}]}"#,
             "pkcs12 is missing"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "outputs": {"dir": "o", "files": ["pkcs12"], "pkcs12": {"password_file": "p", "password_env": "P"}}}]}"#,
             "needs password_file or password_env (one of them)"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "outputs": {"dir": "o", "files": ["pkcs12"], "pkcs12": {"password": "x"}}}]}"#,
             "outputs.pkcs12"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "csr": "a.csr", "outputs": {"dir": "o", "files": ["certificate", "pkcs12"], "pkcs12": {"password_env": "P"}}}]}"#,
             "asks for a PKCS#12 bundle"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "cam.partial-1", "subject": {"common_name": "a"}}]}"#, "may hold only"),
            (#"{"zone": "\#(z)", "defaults": {"outputs": {"dir": "o"}}, "certificates": [{"name": "x", "subject": {"common_name": "a"}}, {"name": "x.ca", "subject": {"common_name": "b"}}]}"#,
             "\"x.ca\" would write /srv/fleet/o/x.ca.pem, which \"x\" writes too"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "subject": {"common_name": "a"}, "validity_days": 10, "renew_before": "11d"}]}"#,
             "not shorter than validity_days 10"),
            (#"{"zone": "../../etc", "certificates": []}"#, "is not a zone id"),
            (#"{"zone": "\#(z)", "certificates": [{"name": "a", "zone": "..%2f..", "subject": {"common_name": "a"}}]}"#, "is not a zone id"),
            (#"{"certificates": [{"name": "a", "subject": {"common_name": "a"}}]}"#, "zone is missing"),
            (#"{"zone": "..", "certificates": [{"name": "a", "subject": {"common_name": "a"}}]}"#, "is not a zone id"),
            (#"{"zone": "\#(z)", "version": 2, "certificates": []}"#, "this cfcerts reads version 1"),
            (#"{"zone": "\#(z)", "prune": "delete", "certificates": []}"#, "prune must be one of \"keep\", \"revoke\""),
        ]
        for (json, expected) in cases {
            let message = Self.refusal(json)
            #expect(message?.contains(expected) == true, "\(json) -> \(message ?? "accepted")")
            #expect(message?.hasPrefix("manifest") == true || message == nil, "\(message ?? "")")
        }
    }

    @Test("renew_before: a share of the lifetime or a time before expiry")
    func renewBefore() throws {
        let issued = Date(timeIntervalSince1970: 0)
        let expires = issued.addingTimeInterval(300 * 86_400)
        #expect(try RenewBefore(parsing: "33%").renewalTime(issued: issued, expires: expires)
                == expires.addingTimeInterval(-99 * 86_400))
        #expect(try RenewBefore(parsing: "30d").renewalTime(issued: issued, expires: expires)
                == expires.addingTimeInterval(-30 * 86_400))
        #expect(try RenewBefore(parsing: "12h") == .seconds(43_200))
        #expect(try RenewBefore(parsing: "90m").description == "90m")
        for bad in ["", "%", "0%", "100%", "-5d", "5", "d", "5 d", "99999999999d", "3651d", "1.5d"] {
            #expect(throws: CFCertsError.self, "\(bad)") { _ = try RenewBefore(parsing: bad) }
        }
    }
}
