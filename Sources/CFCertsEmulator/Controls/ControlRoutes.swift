import Foundation
import HTTPTypes
import Hummingbird

/// Test controls under `/__emulator/` (outside the API's `/client/v4`, no authentication):
///
/// - `GET  /__emulator/health`: `{"ok": true}`
/// - `POST /__emulator/reset`: forget certificates, faults, the request log and rate-limit windows
/// - `POST /__emulator/settle`: end every pending transition now (pending_revocation -> revoked, …)
/// - `POST /__emulator/zones/{zone}/seed` `{"count", "status"?, "common_name_prefix"?, "validity_days"?}`
/// - `GET  /__emulator/ca.pem`: the CA certificate
/// - `GET | DELETE /__emulator/requests`: the request log / clear it
/// - `POST /__emulator/rate-limit/reset`: start every credential's budget window afresh
/// - `GET | POST | DELETE /__emulator/faults`: armed faults / arm one (or an array) / disarm all
struct ControlRoutes {
    let emulator: Emulator

    func respond(to request: Request) async -> Response {
        var request = request
        let segments = request.uri.path.split(separator: "/").dropFirst().map(String.init)
        do {
            switch (request.method, segments) {
            case (.get, ["health"]):
                return ok(["ok": true])
            case (.post, ["reset"]):
                try emulator.reset()
                return ok(["ok": true])
            case (.post, ["rate-limit", "reset"]):
                emulator.rateLimiter.reset()
                return ok(["ok": true])
            case (.post, ["settle"]):
                try emulator.store.settleAll()
                return ok(["ok": true])
            case (.post, let path) where path.count == 3 && path[0] == "zones" && path[2] == "seed":
                return try seed(zone: path[1], body: try await request.collectBody(limit: 1 << 16))
            case (.get, ["ca.pem"]):
                return HTTPResponses.text(.ok, emulator.caCertificatePEM + "\n", contentType: "application/x-pem-file")
            case (.get, ["requests"]):
                return HTTPResponses.json(.ok, JSONBody.encode(["requests": emulator.requestLog.all]))
            case (.delete, ["requests"]):
                emulator.requestLog.clear()
                return ok(["ok": true])
            case (.get, ["faults"]):
                return HTTPResponses.json(.ok, JSONBody.encode(["faults": emulator.faults.armed]))
            case (.post, ["faults"]):
                return try arm(body: try await request.collectBody(limit: 1 << 16))
            case (.delete, ["faults"]):
                emulator.faults.clear()
                return ok(["ok": true])
            default:
                return failure(.notFound, "no control at \(request.method.rawValue) \(request.uri.path)")
            }
        } catch let error as ControlError {
            return failure(.badRequest, error.message)
        } catch let error as APIError {
            return failure(error.status, error.message)
        } catch {
            return failure(.internalServerError, "\(error)")
        }
    }

    private func seed(zone: String, body: [UInt8]) throws -> Response {
        guard let fields = JSONValue.parse(body), case .object = fields else { throw ControlError("body must be a JSON object") }
        guard let count = fields["count"]?.integer else { throw ControlError("count must be an integer") }
        try emulator.seed(zoneID: zone, count: count, status: fields["status"]?.string ?? "active",
                          commonNamePrefix: fields["common_name_prefix"]?.string ?? "seed",
                          validityDays: fields["validity_days"]?.integer ?? 3650,
                          issuedDaysAgo: fields["issued_days_ago"]?.integer ?? 0)
        return ok(["seeded": count])
    }

    private func arm(body: [UInt8]) throws -> Response {
        let decoder = JSONDecoder()
        let faults: [Fault]
        if let one = try? decoder.decode(Fault.self, from: Data(body)) {
            faults = [one]
        } else if let many = try? decoder.decode([Fault].self, from: Data(body)) {
            faults = many
        } else {
            let kinds = Fault.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw ControlError("body must be a fault object (or an array of them) with a kind of: \(kinds)")
        }
        for fault in faults { try fault.validate() }
        faults.forEach(emulator.faults.arm)
        return ok(["armed": faults.count])
    }

    private func ok(_ body: [String: some Encodable]) -> Response {
        HTTPResponses.json(.ok, JSONBody.encode(body))
    }

    private func failure(_ status: HTTPResponse.Status, _ message: String) -> Response {
        HTTPResponses.json(status, JSONBody.encode(["error": message]))
    }
}

struct ControlError: Error, CustomStringConvertible {
    var description: String { message }
    let message: String
    init(_ message: String) { self.message = message }
}
