import Foundation
import Testing

@Suite("Listing: pagination, filters, windows")
struct PaginationTests {
    @Test("123 certificates at per_page 5, 20 and 50: counts, total_pages and the short last page",
          arguments: [5, 20, 50])
    func arithmetic(perPage: Int) async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.seed(zone: zone, count: 123)
            let pages = (123 + perPage - 1) / perPage
            var seen: [String] = []
            for page in 1...pages {
                let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone) + "?page=\(page)&per_page=\(perPage)")
                #expect(reply.status == 200)
                let info = try #require(reply.resultInfo)
                let expected = page < pages ? perPage : 123 - perPage * (pages - 1)
                #expect(info["count"] as? Int == expected)
                #expect(reply.results.count == expected)
                #expect(info["page"] as? Int == page)
                #expect(info["per_page"] as? Int == perPage)
                #expect(info["total_count"] as? Int == 123)
                #expect(info["total_pages"] as? Int == pages)
                seen += reply.results.compactMap { $0["common_name"] as? String }
            }
            // Every certificate once, in creation order.
            #expect(seen == (1...123).map { "seed-\($0)" })
            let beyond = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone) + "?page=\(pages + 1)&per_page=\(perPage)")
            #expect(beyond.results.isEmpty)
            #expect(beyond.resultInfo?["count"] as? Int == 0)
            #expect(beyond.resultInfo?["total_count"] as? Int == 123)
        }
    }

    @Test("seeded certificates are real: signed on first read, stable afterwards, listed in creation order")
    func seededCertificates() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.seed(zone: zone, count: 7)
            let first = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone))
            #expect(first.results.map { $0["common_name"] as? String } == (1...7).map { "seed-\($0)" })
            for result in first.results {
                #expect((result["certificate"] as? String)?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
                #expect((result["fingerprint_sha256"] as? String)?.count == 64)
                #expect((result["ski"] as? String)?.count == 40)
            }
            let again = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone))
            #expect(again.results.map { $0["fingerprint_sha256"] as? String } == first.results.map { $0["fingerprint_sha256"] as? String })
        }
    }

    @Test("status filters, and all")
    func statusFilter() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.seed(zone: zone, count: 6, status: "active")
            try await emulator.seed(zone: zone, count: 4, status: "revoked")
            try await emulator.seed(zone: zone, count: 3, status: "pending_revocation")
            try await emulator.seed(zone: zone, count: 2, status: "pending_reactivation")
            let expected = ["active": 6, "revoked": 4, "pending_revocation": 3, "pending_reactivation": 2, "all": 15]
            for (status, count) in expected {
                let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone) + "?status=\(status)&per_page=50")
                #expect(reply.resultInfo?["total_count"] as? Int == count, "status \(status)")
                if status != "all" {
                    #expect(reply.results.allSatisfy { $0["status"] as? String == status }, "status \(status)")
                }
            }
        }
    }

    @Test("offset and limit window the listing before it is paged")
    func offsetAndLimit() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.seed(zone: zone, count: 30)
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone) + "?offset=10&limit=12&per_page=5&page=3")
            #expect(reply.resultInfo?["total_count"] as? Int == 12)
            #expect(reply.resultInfo?["total_pages"] as? Int == 3)
            #expect(reply.results.map { $0["common_name"] as? String } == ["seed-21", "seed-22"])
        }
    }

    @Test("an empty zone lists nothing, with total_pages 0")
    func emptyZone() async throws {
        try await EmulatorHarness.with { emulator in
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()))
            #expect(reply.status == 200)
            #expect(reply.results.isEmpty)
            #expect(reply.resultInfo?["total_pages"] as? Int == 0)
        }
    }

    @Test("out-of-range and malformed list parameters are 400 envelopes with code 1006",
          arguments: ["page=0", "page=-1", "page=abc", "per_page=4", "per_page=51", "per_page=1e3",
                      "status=expired", "limit=0", "offset=-5", "offset=x"])
    func badParameters(query: String) async throws {
        try await EmulatorHarness.with { emulator in
            let reply = try await emulator.send(.GET, EmulatorHarness.certificatesPath(EmulatorHarness.newZone()) + "?" + query)
            #expect(reply.status == 400)
            #expect(reply.success == false)
            #expect(reply.errorCode == 1006)
            #expect((reply.errors.first?["message"] as? String)?.isEmpty == false)
        }
    }

    @Test("seeding 100,000 certificates is fast, and their pages list")
    func bulkSeed() async throws {
        try await EmulatorHarness.with { emulator in
            let zone = EmulatorHarness.newZone()
            try await emulator.seed(zone: zone, count: 100_000)
            let last = try await emulator.send(.GET, EmulatorHarness.certificatesPath(zone) + "?per_page=50&page=2000")
            #expect(last.resultInfo?["total_pages"] as? Int == 2000)
            #expect(last.results.last?["common_name"] as? String == "seed-100000")
        }
    }
}
