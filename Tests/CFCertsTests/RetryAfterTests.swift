@testable import CFCerts
import CFCertsEmulator
import Foundation
import Testing

@Suite("Retry-After: every value a server may send")
struct RetryAfterTests {
    static func parse(_ fields: [String: String], now: Date = Date(timeIntervalSince1970: 784_111_777)) -> Duration? {
        RetryAfter.parse(ResponseHeaders(fields.map { (name: $0.key, value: $0.value) }), now: now)
    }

    @Test("absurd numbers are clamped to a day, never converted with a trap",
          arguments: [["Retry-After": "1e16"], ["Retry-After": "99999999999999999999"], ["Retry-After-Ms": "1e19"],
                      ["Retry-After": "1e308"], ["Retry-After-Ms": "9223372036854775808"]])
    func absurd(fields: [String: String]) {
        #expect(Self.parse(fields) == RetryAfter.ceiling)
    }

    @Test("what is not a delay is ignored (the backoff applies)",
          arguments: ["-1", "abc", "", "inf", "nan", "-inf", "1e", "Sun, 99 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT"])
    func ignored(value: String) {
        #expect(Self.parse(["Retry-After": value]) == nil)
        #expect(Self.parse(["Retry-After-Ms": value, "Retry-After": value]) == nil)
    }

    @Test("seconds and milliseconds, rounded up to whole milliseconds")
    func numbers() {
        #expect(Self.parse(["Retry-After": "3"]) == .seconds(3))
        #expect(Self.parse(["Retry-After": " 2 "]) == .seconds(2))
        #expect(Self.parse(["Retry-After-Ms": "250.2"]) == .milliseconds(251))
        #expect(Self.parse(["retry-after-ms": "50", "retry-after": "9"]) == .milliseconds(50))
        #expect(Self.parse([:]) == nil)
    }

    @Test("an HTTP-date in each of RFC 9110's three forms, relative to now; a past date means now")
    func httpDates() {
        // now = Sun, 06 Nov 1994 08:49:37 GMT
        #expect(Self.parse(["Retry-After": "Sun, 06 Nov 1994 08:49:49 GMT"]) == .seconds(12))
        #expect(Self.parse(["Retry-After": "Sunday, 06-Nov-94 08:49:47 GMT"]) == .seconds(10))
        #expect(Self.parse(["Retry-After": "Sun Nov  6 08:49:42 1994"]) == .seconds(5))
        #expect(Self.parse(["Retry-After": "Sat, 05 Nov 1994 08:49:37 GMT"]) == .zero)
        #expect(Self.parse(["Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"]) == RetryAfter.ceiling)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(HTTPDate.parse("Tue, 29 Feb 2028 12:00:00 GMT") == Date(timeIntervalSince1970: 1_835_438_400))
    }

    @Test("an absurd Retry-After on a real answer ends the call as rate limited; the process lives on",
          arguments: ["1e16", "99999999999999999999"])
    func absurdOnTheWire(value: String) async throws {
        try await CoreHarness.with { harness in
            try harness.emulator.arm(.init(kind: .status, method: "GET", status: 429, headers: ["retry-after": value]))
            try harness.emulator.arm(.init(kind: .status, method: "GET", status: 503, headers: ["retry-after-ms": "1e19"]))
            for _ in 0..<2 {
                let error = await #expect(throws: CFCertsError.self) {
                    _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
                }
                #expect(error?.retryAfter == RetryAfter.ceiling)
            }
            #expect(harness.requests.map(\.status) == [429, 503])
        }
    }

    @Test("an HTTP-date Retry-After two seconds ahead is waited for")
    func httpDateOnTheWire() async throws {
        try await CoreHarness.with { harness in
            let later = Date().addingTimeInterval(3)
            try harness.emulator.arm(.init(kind: .status, method: "GET", status: 503, headers: ["retry-after": Self.imfFixdate(later)]))
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await harness.client.clientCertificates.listPage(zoneID: harness.zone)
            #expect(clock.now - start >= .seconds(1))
            #expect(harness.requests.map(\.status) == [503, 200])
        }
    }

    static func imfFixdate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
