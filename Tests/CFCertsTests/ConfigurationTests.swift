import CFCerts
import Foundation
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("environment precedence: token, then key + email, then user service key; exactly one scheme")
    func environmentPrecedence() throws {
        let all = ["CLOUDFLARE_API_TOKEN": "tok", "CLOUDFLARE_API_KEY": "key", "CLOUDFLARE_EMAIL": "a@b.c",
                   "CLOUDFLARE_API_USER_SERVICE_KEY": "svc"]
        #expect(try Configuration.fromEnvironment(all).credentials == .apiToken("tok"))
        var noToken = all
        noToken["CLOUDFLARE_API_TOKEN"] = ""
        #expect(try Configuration.fromEnvironment(noToken).credentials == .apiKey(email: "a@b.c", key: "key"))
        #expect(try Configuration.fromEnvironment(["CLOUDFLARE_API_USER_SERVICE_KEY": "svc"]).credentials == .userServiceKey("svc"))
        // An email with a token is not a scheme of its own (the official Python SDK sends it alone).
        #expect(try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN": "tok", "CLOUDFLARE_EMAIL": "a@b.c"]).credentials == .apiToken("tok"))
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try Configuration.fromEnvironment(["CLOUDFLARE_API_KEY": "key"]) }
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try Configuration.fromEnvironment([:]) }
    }

    @Test("base URL: the default, an override, and http only for loopback")
    func baseURL() async throws {
        #expect(try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN": "t"]).baseURL == "https://api.cloudflare.com/client/v4")
        #expect(try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN": "t", "CLOUDFLARE_BASE_URL": "http://127.0.0.1:9/client/v4/"]).baseURL
                == "http://127.0.0.1:9/client/v4")
        for url in ["http://example.com/client/v4", "ftp://127.0.0.1/", "not a url", "https://h/x?q=1"] {
            #expect(throws: CFCertsError(kind: .invalidArgument, message: ""), "\(url)") {
                _ = try CFCertsClient(configuration: Configuration(credentials: .apiToken("t"), baseURL: url))
            }
        }
        for url in ["http://localhost:1/client/v4", "http://[::1]:1/client/v4", "https://example.com/client/v4"] {
            let client = try CFCertsClient(configuration: Configuration(credentials: .apiToken("t"), baseURL: url))
            try await client.shutdown()
        }
        var insecure = Configuration(credentials: .apiToken("t"), baseURL: "http://example.com/client/v4")
        insecure.allowInsecureHTTP = true
        try await CFCertsClient(configuration: insecure).shutdown()
    }

    @Test("credentials that cannot be sent are refused, and never printed")
    func credentials() {
        for credentials in [Credentials.apiToken(""), .apiToken("a\nb"), .apiKey(email: "nobody", key: "k"), .userServiceKey("x\u{7f}")] {
            #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
                _ = try CFCertsClient(configuration: Configuration(credentials: credentials))
            }
        }
        #expect("\(Credentials.apiToken("s3cr3t"))" == "Credentials.apiToken(<redacted>)")
        #expect(!"\(Credentials.apiKey(email: "a@b.c", key: "s3cr3t"))".contains("s3cr3t"))
    }

    @Test("user agent: cfcerts/<version> plus the suffix")
    func userAgent() {
        var configuration = Configuration(credentials: .apiToken("t"))
        #expect(configuration.userAgent == "cfcerts/\(CFCertsVersion.string)")
        configuration.userAgentSuffix = "myapp/2.0"
        #expect(configuration.userAgent == "cfcerts/\(CFCertsVersion.string) myapp/2.0")
    }
}
