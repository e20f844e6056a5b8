import AsyncHTTPClient
import CFCertsEmulator
import CFCertsTestSupport
import Foundation
import NIOCore
import NIOHTTP1

/// An emulator started in-process on a free loopback port, and a small HTTP client for it.
struct EmulatorHarness {
    let running: RunningEmulator

    static let token = EmulatorConfiguration.defaultToken
    static let bearer = ["Authorization": "Bearer \(EmulatorConfiguration.defaultToken)"]

    /// Starts an emulator. Tests use a P-256 CA unless they need the RSA default (key generation is slower).
    static func start(_ configure: (inout EmulatorConfiguration) -> Void = { _ in }) async throws -> EmulatorHarness {
        var configuration = EmulatorConfiguration()
        configuration.caKeyType = .p256
        configuration.transitionDelay = .seconds(3600)  // tests end transitions with the settle control
        configure(&configuration)
        let server = EmulatorServer(emulator: try Emulator(configuration: configuration))
        return EmulatorHarness(running: try await server.start())
    }

    /// Runs `body` against a fresh emulator and stops it afterwards, whatever happens.
    static func with<T>(_ configure: (inout EmulatorConfiguration) -> Void = { _ in },
                        _ body: (EmulatorHarness) async throws -> T) async throws -> T {
        let harness = try await start(configure)
        do {
            let result = try await body(harness)
            await harness.running.stop()
            return result
        } catch {
            await harness.running.stop()
            throw error
        }
    }

    /// A response: status, headers and the body (parsed as JSON when it is JSON).
    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        var result: [String: Any]? { json?["result"] as? [String: Any] }
        var results: [[String: Any]] { json?["result"] as? [[String: Any]] ?? [] }
        var resultInfo: [String: Any]? { json?["result_info"] as? [String: Any] }
        var success: Bool? { json?["success"] as? Bool }
        var errors: [[String: Any]] { json?["errors"] as? [[String: Any]] ?? [] }
        var errorCode: Int? { errors.first?["code"] as? Int }
    }

    /// Sends one request to `path` (relative to the root URL, e.g. `/client/v4/zones/...`).
    func send(_ method: HTTPMethod, _ path: String, headers: [String: String] = bearer, body: [UInt8]? = nil,
              timeout: TimeAmount = .seconds(30)) async throws -> Reply {
        var request = HTTPClientRequest(url: running.rootURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // Every request that may change something says JSON: the emulator's controls refuse it otherwise
        // (a web page cannot send it across sites).
        if body != nil || method != .GET { request.headers.add(name: "Content-Type", value: "application/json") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    func send(_ method: HTTPMethod, _ path: String, headers: [String: String] = bearer, json: Any) async throws -> Reply {
        try await send(method, path, headers: headers, body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    static func certificatesPath(_ zone: String, _ id: String? = nil) -> String {
        "/client/v4/zones/\(zone)/client_certificates" + (id.map { "/\($0)" } ?? "")
    }

    func create(zone: String, csr: String, validityDays: Int = 3650) async throws -> Reply {
        try await send(.POST, Self.certificatesPath(zone), json: ["csr": csr, "validity_days": validityDays])
    }

    func seed(zone: String, count: Int, status: String = "active") async throws {
        let reply = try await send(.POST, "/__emulator/zones/\(zone)/seed", headers: [:],
                                   json: ["count": count, "status": status])
        guard reply.status == 200 else { throw HarnessError("seed failed: \(reply.text)") }
    }

    func arm(_ fault: [String: Any]) async throws {
        let reply = try await send(.POST, "/__emulator/faults", headers: [:], json: fault)
        guard reply.status == 200 else { throw HarnessError("arming a fault failed: \(reply.text)") }
    }

    /// The request log's entries (method, path, query, auth, status).
    func requests() async throws -> [[String: Any]] {
        try await send(.GET, "/__emulator/requests", headers: [:]).json?["requests"] as? [[String: Any]] ?? []
    }

    /// A fresh random zone id, so tests sharing an emulator never see each other's certificates.
    static func newZone() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
