import HTTPTypes
import Hummingbird

/// Keeps web pages away from the test controls.
///
/// The controls need no credentials, so any page a developer opens could otherwise `POST` to
/// `http://127.0.0.1:8787/__emulator/reset` (a form or `fetch` with a `text/plain` body needs no preflight) and wipe
/// the emulator, `--state` file included. A browser always sends `Origin` on such a request and cannot send
/// `Content-Type: application/json` across sites without a preflight, which the emulator never grants. So a control
/// request with an `Origin` is refused, and one that changes anything must say `Content-Type: application/json`
/// (curl, scripts and the test suites say so; a browser cannot).
enum CrossSiteGuard {
    static let origin = HTTPField.Name("Origin")!

    /// Why `request` is refused; nil when it may be served.
    static func refusal(of request: Request) -> String? {
        if let origin = request.headers[origin] {
            return "control requests from a web page (Origin: \(origin.prefix(100))) are refused"
        }
        guard request.method != .get, request.method != .head else { return nil }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            return "control requests that change anything need Content-Type: application/json (a browser cannot send it cross-site)"
        }
        return nil
    }
}
