@testable import CFCerts
import Testing

@Suite("Ratelimit headers")
struct RateLimitHeadersTests {
    @Test("the structured fields Cloudflare sends")
    func parsed() {
        let headers = RateLimitHeaders(ResponseHeaders([
            (name: "Ratelimit", value: #""default";r=1199;t=300"#),
            (name: "Ratelimit-Policy", value: #""default";q=1200;w=300, "burst";q=10;w=1"#),
        ]))
        #expect(headers == RateLimitHeaders(remaining: 1199, resetSeconds: 300, limit: 1200, windowSeconds: 300))
    }

    @Test("garbage is ignored, never trusted", arguments: [
        #""default";r=-1;t=1e9"#, #""default";r=1.5;t=abc"#, #""default";r=99999999999999999999;t="#,
        "", ";;;", #""default";r;t"#, #""default";r=0x10;t=+3"#,
    ])
    func garbage(value: String) {
        let headers = RateLimitHeaders(ResponseHeaders([(name: "Ratelimit", value: value), (name: "Ratelimit-Policy", value: value)]))
        #expect(headers.isEmpty)
    }
}
