@testable import CFCerts
import Testing

/// The budget's arithmetic without a server: which figures win, and how many requests go before a wait.
@Suite("RequestBudget: the server's figures against the starting and the configured budget")
struct RequestBudgetTests {
    /// How many of `count` requests the budget gives at once (a request that would have to wait fails at once).
    private func takenAtOnce(_ budget: RequestBudget, within pacing: Pacing, _ count: Int) async -> Int {
        var taken = 0
        for _ in 0..<count {
            guard (try? await budget.take(within: pacing, waitingAtMostUntil: .now)) != nil else { break }
            taken += 1
        }
        return taken
    }

    @Test("with nothing configured, the server's larger figures replace the starting 1,200 per 300 s")
    func startingBudgetGivesWay() async throws {
        let budget = RequestBudget(startingFrom: .cloudflare)
        let ticket = try await budget.take(within: .cloudflare, waitingAtMostUntil: .now)
        budget.observe(RateLimitHeaders(remaining: 4999, resetSeconds: 300, limit: 5000, windowSeconds: 300), ticket: ticket)
        #expect(await takenAtOnce(budget, within: .cloudflare, 2000) == 2000)
    }

    @Test("a configured budget stays the ceiling when the server offers more")
    func configuredBudgetIsACeiling() async throws {
        let pacing = Pacing.budget(requests: 20, per: .seconds(300))
        let budget = RequestBudget(startingFrom: pacing)
        let ticket = try await budget.take(within: pacing, waitingAtMostUntil: .now)
        budget.observe(RateLimitHeaders(remaining: 999_999, resetSeconds: 300, limit: 1_000_000, windowSeconds: 300),
                       ticket: ticket)
        #expect(await takenAtOnce(budget, within: pacing, 100) == 19)
        // A client of the same credential without a ceiling of its own follows the server's figures.
        #expect(await takenAtOnce(budget, within: .cloudflare, 100) == 100)
    }

    @Test("the server's smaller figures lower a configured budget")
    func serverLowersTheCeiling() async throws {
        let pacing = Pacing.budget(requests: 20, per: .seconds(300))
        let budget = RequestBudget(startingFrom: pacing)
        let ticket = try await budget.take(within: pacing, waitingAtMostUntil: .now)
        budget.observe(RateLimitHeaders(remaining: 4, resetSeconds: 300, limit: 5, windowSeconds: 300), ticket: ticket)
        #expect(await takenAtOnce(budget, within: pacing, 100) == 4)
    }

    @Test("only the headers spend the budget, for as long as they say")
    func spentAsTheHeadersSay() async throws {
        let budget = RequestBudget(startingFrom: .cloudflare)
        let ticket = try await budget.take(within: .cloudflare, waitingAtMostUntil: .now)
        budget.observe(RateLimitHeaders(remaining: 0, resetSeconds: 30), ticket: ticket)
        let error = await #expect(throws: CFCertsError.self) {
            _ = try await budget.take(within: .cloudflare, waitingAtMostUntil: .now)
        }
        #expect(error?.kind == .rateLimited)
        #expect((error?.retryAfter ?? .zero) <= .seconds(30))
    }
}
