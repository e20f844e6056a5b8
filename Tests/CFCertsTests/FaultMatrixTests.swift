import CFCerts
import CFCertsEmulator
import Foundation
import Testing

/// Every operation against every fault the emulator acts out: the documented outcome each time (done after
/// retries, or the right error kind with the HTTP status and ray id), the number of requests it took, and never a
/// second certificate for one create. docs/RELIABILITY.md's fault matrix is `expected(_:_:)`; with
/// CFCERTS_FAULT_MATRIX=FILE each cell appends what it saw to FILE (a JSON line: operation, fault, outcome,
/// certificates after a create).
@Suite("Fault matrix")
struct FaultMatrixTests {
    enum Operation: String, CaseIterable, Sendable {
        case list, get, create, revoke, reactivate
    }

    /// A fault and how many requests it applies to (`count`: 1 once, 100 always).
    struct Scenario: Sendable, CustomTestStringConvertible {
        let name: String
        let fault: Fault
        var testDescription: String { name }
    }

    /// What must come of an operation under a fault.
    enum Expected: Equatable, Sendable, CustomStringConvertible {
        /// Done, after this many requests to the operation's endpoint (reads that reconcile not counted).
        case done(requests: Int)
        /// This error kind, with this HTTP status (nil: no answer), after this many requests.
        case fails(CFCertsError.Kind, status: Int?, requests: Int)

        var description: String {
            switch self {
            case .done(let requests): "done (\(requests))"
            case .fails(let kind, let status, let requests): "\(kind)\(status.map { " \($0)" } ?? "") (\(requests))"
            }
        }
    }

    static let always = 100
    /// A delay or a stall lasts 12 s, past attempts of 8 s; under every other fault attempts may take 30 s. The
    /// margins are wide: the 85 cells run in parallel, each with an emulator of its own, and must hold on 2 busy
    /// cores and under sanitizers (a create there can take seconds).
    static let scenarios: [Scenario] = [
        .init(name: "500 once", fault: .init(kind: .status, status: 500)),
        .init(name: "503 always", fault: .init(kind: .status, count: always, status: 503)),
        .init(name: "429 once, Retry-After 1", fault: .init(kind: .rateLimit, retryAfter: 1)),
        .init(name: "429 once, no Retry-After", fault: .init(kind: .rateLimit)),
        .init(name: "429 always, Retry-After 1", fault: .init(kind: .rateLimit, count: always, retryAfter: 1)),
        .init(name: "408 once", fault: .init(kind: .status, status: 408)),
        .init(name: "409 once", fault: .init(kind: .status, status: 409)),
        .init(name: "delay past the timeout, always", fault: .init(kind: .delay, count: always, delayMs: 12_000)),
        .init(name: "stalled body once", fault: .init(kind: .stall, delayMs: 12_000)),
        .init(name: "dropped connection once", fault: .init(kind: .drop)),
        .init(name: "lost answer once", fault: .init(kind: .lostAnswer)),
        .init(name: "applied, then 504 once", fault: .init(kind: .appliedThenError)),
        .init(name: "HTML 502 once", fault: .init(kind: .html)),
        .init(name: "truncated JSON once", fault: .init(kind: .truncated)),
        .init(name: "success:false with 200", fault: .init(kind: .successFalse, code: 1234, message: "refused")),
        .init(name: "oversize body", fault: .init(kind: .body, body: "{\"pad\": \"" + String(repeating: "x", count: 70_000) + "\"}")),
        .init(name: "wrong content type", fault: .init(kind: .body, status: 200, body: "<p>ok</p>", contentType: "text/html")),
    ]

    /// The documented outcomes: idempotent calls retry 408, 409, 429, 5xx, lost and stalled answers (maxRetries 2:
    /// three attempts); a create retries only 429 (it may have been issued); a revoke or reactivate whose answer was
    /// lost or turned into an error after it was applied is read back and reported done.
    static func expected(_ operation: Operation, _ scenario: String) -> Expected {
        let create = operation == .create
        let transition = operation == .revoke || operation == .reactivate
        switch scenario {
        case "500 once": return create ? .fails(.api, status: 500, requests: 1) : .done(requests: 2)
        case "503 always": return .fails(.api, status: 503, requests: create ? 1 : 3)
        case "429 once, Retry-After 1", "429 once, no Retry-After": return .done(requests: 2)
        case "429 always, Retry-After 1": return .fails(.rateLimited, status: 429, requests: 3)
        case "408 once": return create ? .fails(.api, status: 408, requests: 1) : .done(requests: 2)
        case "409 once": return create ? .fails(.api, status: 409, requests: 1) : .done(requests: 2)
        // The first revoke (or reactivate) is carried out late, after the client gave up on it: the read says done.
        case "delay past the timeout, always":
            return transition ? .done(requests: 3) : .fails(.timeout, status: nil, requests: create ? 1 : 3)
        case "stalled body once": return create ? .fails(.timeout, status: nil, requests: 1) : .done(requests: 2)
        case "dropped connection once": return create ? .fails(.connection, status: nil, requests: 1) : .done(requests: 2)
        // A revoke or reactivate sent again meets a refusal (already pending): the read then says it was done.
        case "lost answer once": return create ? .fails(.connection, status: nil, requests: 1) : .done(requests: 2)
        case "applied, then 504 once": return create ? .fails(.api, status: 504, requests: 1) : .done(requests: 2)
        case "HTML 502 once": return create ? .fails(.api, status: 502, requests: 1) : .done(requests: 2)
        case "truncated JSON once": return .fails(.decoding, status: 200, requests: 1)
        case "success:false with 200": return .fails(.api, status: 200, requests: 1)
        case "oversize body": return .fails(.decoding, status: 200, requests: 1)
        case "wrong content type": return .fails(.decoding, status: 200, requests: 1)
        default: Issue.record("no expectation for \(scenario)"); return .done(requests: 0)
        }
    }

    /// The zone's first page through a client of default timeouts (the faults are disarmed by then).
    static func listWithoutFaults(_ harness: CoreHarness) async throws -> ClientCertificatePage {
        let client = try CFCertsClient(configuration: Configuration(
            credentials: .apiToken(EmulatorConfiguration.defaultToken), baseURL: harness.running.baseURL))
        do {
            let page = try await client.clientCertificates.listPage(zoneID: harness.zone, perPage: 50)
            try await client.shutdown()
            return page
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("every operation x every fault", arguments: Operation.allCases, scenarios)
    func matrix(operation: Operation, scenario: Scenario) async throws {
        try await CoreHarness.with(client: {
            $0.requestTimeout = scenario.fault.delayMs == nil ? .seconds(30) : .seconds(8)
            $0.maxResponseBytes = 64 * 1024
            $0.pacing = .off
        }) { harness in
            let certificates = harness.client.clientCertificates
            let zone = harness.zone
            let generated = try CertificateSigningRequests.generate(subject: CSRSubject(commonName: "matrix.example.com"))
            var target = ""
            if operation != .create, operation != .list {
                // Set up through a client of default timeouts: the call under test has attempts of its own length.
                let setup = try CFCertsClient(configuration: Configuration(
                    credentials: .apiToken(EmulatorConfiguration.defaultToken), baseURL: harness.running.baseURL))
                do {
                    let created = try await setup.clientCertificates.create(zoneID: zone, csr: generated.csrPEM, validityDays: 30)
                    target = created.id
                    if operation == .reactivate { _ = try await setup.clientCertificates.revoke(zoneID: zone, id: target) }
                    try await setup.shutdown()
                } catch {
                    try? await setup.shutdown()
                    throw error
                }
            }
            let (method, path): (String, String) = switch operation {
            case .list: ("GET", "/client/v4/zones/\(zone)/client_certificates")
            case .get: ("GET", "/client/v4/zones/\(zone)/client_certificates/\(target)")
            case .create: ("POST", "/client/v4/zones/\(zone)/client_certificates")
            case .revoke: ("DELETE", "/client/v4/zones/\(zone)/client_certificates/\(target)")
            case .reactivate: ("PATCH", "/client/v4/zones/\(zone)/client_certificates/\(target)")
            }
            var fault = scenario.fault
            fault.method = method
            fault.path = path
            try harness.emulator.arm(fault)
            let before = harness.requests.count
            var observed: Expected
            var rayID = false
            do {
                switch operation {
                case .list: _ = try await certificates.listPage(zoneID: zone)
                case .get: _ = try await certificates.get(zoneID: zone, id: target)
                case .create: _ = try await certificates.create(zoneID: zone, csr: generated.csrPEM, validityDays: 30)
                case .revoke: _ = try await certificates.revoke(zoneID: zone, id: target)
                case .reactivate: _ = try await certificates.reactivate(zoneID: zone, id: target)
                }
                observed = .done(requests: 0)
            } catch let error as CFCertsError {
                observed = .fails(error.kind, status: error.httpStatus, requests: 0)
                rayID = error.rayID != nil
                if error.httpStatus != nil { #expect(rayID, "an answered error carries the ray id") }
            }
            // Requests still in flight at the server (delayed, stalled) land in its log, and their creates in the store.
            try await Task.sleep(for: .milliseconds(scenario.fault.delayMs.map { $0 + 500 } ?? 300))
            let sent = harness.requests[before...].filter { $0.method == method && $0.path == path }.count
            observed = switch observed {
            case .done: .done(requests: sent)
            case .fails(let kind, let status, _): .fails(kind, status: status, requests: sent)
            }
            harness.emulator.disarmFaults()
            var issued: Int?
            if operation == .create {
                let page = try await Self.listWithoutFaults(harness)
                issued = page.certificates.count
                #expect(issued! <= 1, "never a second certificate for one create")
                if case .done = observed { #expect(issued == 1) }
            }
            #expect(observed == Self.expected(operation, scenario.name), "\(operation) under \(scenario.name)")
            if let file = ProcessInfo.processInfo.environment["CFCERTS_FAULT_MATRIX"] {
                let line = "{\"operation\": \"\(operation)\", \"fault\": \"\(scenario.name)\", \"outcome\": \"\(observed)\", \"issued\": \(issued.map(String.init) ?? "null")}\n"
                if let handle = FileHandle(forWritingAtPath: file) ?? { _ = FileManager.default.createFile(atPath: file, contents: nil); return FileHandle(forWritingAtPath: file) }() {
                    handle.seekToEndOfFile()
                    handle.write(Data(line.utf8))
                    handle.closeFile()
                }
            }
        }
    }
}
