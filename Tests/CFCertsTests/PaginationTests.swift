import CFCerts
import Foundation
import Testing

@Suite("Auto-paging listing")
struct PaginationTests {
    @Test("123 certificates at per_page 5, 20 and 50: exactly ceil(123/n) requests, each certificate once, in order",
          arguments: [5, 20, 50])
    func exactRequestCount(perPage: Int) async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.seed(zoneID: harness.zone, count: 123)
            let expectedOrder = try await Self.allIDs(harness)
            harness.emulator.clearReceivedRequests()

            var names: [String] = []
            for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone, perPage: perPage) {
                names.append(certificate.commonName)
            }
            #expect(names == (1...123).map { "seed-\($0)" })
            #expect(harness.requests.count == (123 + perPage - 1) / perPage)
            #expect(harness.requests.map(\.query) == (1...harness.requests.count).map { "page=\($0)&per_page=\(perPage)" })
            #expect(expectedOrder.count == 123)
        }
    }

    @Test("prefetching keeps order and still never asks past the last page", arguments: [1, 3])
    func prefetch(pages: Int) async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.seed(zoneID: harness.zone, count: 123)
            var names: [String] = []
            for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone, perPage: 5, prefetchPages: pages) {
                names.append(certificate.commonName)
            }
            #expect(names == (1...123).map { "seed-\($0)" })
            #expect(harness.requests.count == 25)
            #expect(Set(harness.requests.map(\.query)).count == 25)
        }
    }

    @Test("prefetching really asks for the following pages while the current one is consumed")
    func prefetchOverlaps() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.seed(zoneID: harness.zone, count: 100)
            var iterator = try harness.client.clientCertificates.list(zoneID: harness.zone, perPage: 5, prefetchPages: 3)
                .makeAsyncIterator()
            for _ in 0..<6 { _ = try await iterator.next() }   // page 1, and the first of page 2
            // Pages 3, 4 and 5 were asked for when page 2 was: without waiting for anyone to consume them.
            let clock = ContinuousClock()
            let start = clock.now
            while harness.requests.count < 5, clock.now - start < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
            #expect(Set(harness.requests.map(\.query)) == Set((1...5).map { "page=\($0)&per_page=5" }))
        }
    }

    @Test("an empty zone costs one request; the status filter is sent and honoured")
    func emptyAndFiltered() async throws {
        try await CoreHarness.with { harness in
            var count = 0
            for try await _ in try harness.client.clientCertificates.list(zoneID: harness.zone) { count += 1 }
            #expect(count == 0)
            #expect(harness.requests.count == 1)

            try harness.emulator.seed(zoneID: harness.zone, count: 7, status: "active")
            try harness.emulator.seed(zoneID: harness.zone, count: 4, status: "revoked")
            var revoked: [ClientCertificate] = []
            for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone, status: .revoked) {
                revoked.append(certificate)
            }
            #expect(revoked.count == 4)
            #expect(revoked.allSatisfy { $0.status == .revoked })
            #expect(harness.requests.last?.query == "page=1&per_page=50&status=revoked")
        }
    }

    @Test("a server that sends the same page again cannot make the listing loop")
    func repeatedPage() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.seed(zoneID: harness.zone, count: 5)
            let firstPage = try await harness.client.clientCertificates.listPage(zoneID: harness.zone, perPage: 5)
            // Every later request gets page 1 again, claiming 1000 pages.
            var page = firstPage
            page.resultInfo = ResultInfo(count: 5, page: 1, perPage: 5, totalCount: 5000, totalPages: 1000)
            let body = String(decoding: try JSONEncoder().encode(EnvelopeFixture(result: page.certificates, result_info: page.resultInfo!)), as: UTF8.self)
            try harness.emulator.arm(.init(kind: .body, method: "GET", count: 100, body: body))
            harness.emulator.clearReceivedRequests()

            var seen = 0
            let error = await #expect(throws: CFCertsError.self) {
                for try await _ in try harness.client.clientCertificates.list(zoneID: harness.zone, perPage: 5) { seen += 1 }
            }
            #expect(error?.kind == .decoding)
            #expect(seen == 5)
            #expect(harness.requests.count == 2)
        }
    }

    @Test("a cancelled listing stops promptly")
    func cancellation() async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.seed(zoneID: harness.zone, count: 500)
            // Every page takes 60 s: cancellation must not wait for them.
            try harness.emulator.arm(.init(kind: .delay, method: "GET", count: 100, delayMs: 60_000))
            let client = harness.client
            let zone = harness.zone
            let task = Task {
                var count = 0
                for try await _ in try client.clientCertificates.list(zoneID: zone, perPage: 5, prefetchPages: 2) { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            task.cancel()
            let result = await task.result
            #expect(clock.now - start < .seconds(15))
            #expect(throws: CFCertsError(kind: .cancelled, message: "")) { _ = try result.get() }
        }
    }

    @Test("parameters are checked before any request")
    func parameterValidation() async throws {
        try await CoreHarness.with { harness in
            let certificates = harness.client.clientCertificates
            for (page, perPage) in [(0, 20), (1, 4), (1, 51)] {
                await #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
                    _ = try await certificates.listPage(zoneID: harness.zone, page: page, perPage: perPage)
                }
            }
            #expect(harness.requests.isEmpty)
        }
    }

    static func allIDs(_ harness: CoreHarness) async throws -> [String] {
        var ids: [String] = []
        for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone) { ids.append(certificate.id) }
        return ids
    }
}

private struct EnvelopeFixture: Encodable {
    var success = true
    var errors: [String] = []
    var messages: [String] = []
    var result: [ClientCertificate]
    var result_info: ResultInfo
}

@Suite("Auto-paging listing against a misbehaving server")
struct HostilePaginationTests {
    /// The body of a list answer holding `certificates`, with `resultInfo` (nil: none at all).
    static func body(_ certificates: ArraySlice<ClientCertificate>, resultInfo: [String: Int]?) throws -> String {
        var envelope: [String: Any] = ["success": true, "errors": [], "messages": []]
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Array(certificates)))
        envelope["result"] = encoded
        if let resultInfo { envelope["result_info"] = resultInfo }
        return String(decoding: try JSONSerialization.data(withJSONObject: envelope), as: UTF8.self)
    }

    static func certificates(_ harness: CoreHarness, count: Int) async throws -> [ClientCertificate] {
        try harness.emulator.seed(zoneID: harness.zone, count: count)
        return try await harness.client.clientCertificates.listPage(zoneID: harness.zone, perPage: 50).certificates
    }

    @Test("result_info without total_pages: every page until a short one, not just the first",
          arguments: [true, false])
    func noTotalPages(withResultInfo: Bool) async throws {
        try await CoreHarness.with { harness in
            let all = try await Self.certificates(harness, count: 15)
            for start in stride(from: 0, to: 15, by: 5) {
                let info = withResultInfo ? ["page": start / 5 + 1, "per_page": 5, "count": 5] : nil
                try harness.emulator.arm(.init(kind: .body, method: "GET", body: try Self.body(all[start..<start + 5], resultInfo: info)))
            }
            try harness.emulator.arm(.init(kind: .body, method: "GET", body: try Self.body([], resultInfo: nil)))
            harness.emulator.clearReceivedRequests()
            var ids: [String] = []
            for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone, perPage: 5) {
                ids.append(certificate.id)
            }
            #expect(ids == all.map(\.id))
            #expect(harness.requests.count == 4)
        }
    }

    @Test("pages alternating A, B, A, B under a huge total_pages end with a decoding error, each certificate once")
    func alternatingPages() async throws {
        try await CoreHarness.with { harness in
            let all = try await Self.certificates(harness, count: 10)
            let info = ["page": 1, "per_page": 5, "count": 5, "total_count": 5_000_000, "total_pages": 1_000_000]
            for _ in 0..<5 {
                try harness.emulator.arm(.init(kind: .body, method: "GET", body: try Self.body(all[0..<5], resultInfo: info)))
                try harness.emulator.arm(.init(kind: .body, method: "GET", body: try Self.body(all[5..<10], resultInfo: info)))
            }
            harness.emulator.clearReceivedRequests()
            var ids: [String] = []
            let error = await #expect(throws: CFCertsError.self) {
                for try await certificate in try harness.client.clientCertificates.list(zoneID: harness.zone, perPage: 5) {
                    ids.append(certificate.id)
                }
            }
            #expect(error?.kind == .decoding)
            #expect(ids == all.map(\.id))
            #expect(harness.requests.count == 3)
        }
    }

    @Test("list() refuses bad parameters before any request")
    func listParameters() async throws {
        try await CoreHarness.with { harness in
            let certificates = harness.client.clientCertificates
            for (zone, perPage, prefetch) in [(harness.zone, 4, 0), (harness.zone, 51, 0), (harness.zone, 50, -1),
                                              (harness.zone, 50, 9), ("..", 50, 0), ("", 50, 0)] {
                #expect(throws: CFCertsError(kind: .invalidArgument, message: ""), "\(zone) \(perPage) \(prefetch)") {
                    _ = try certificates.list(zoneID: zone, perPage: perPage, prefetchPages: prefetch)
                }
            }
            #expect(harness.requests.isEmpty)
        }
    }
}
