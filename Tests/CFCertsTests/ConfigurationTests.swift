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

    @Test("durations beyond a day are refused, not overflowed",
          arguments: ["connectTimeout", "requestTimeout", "initialBackoff", "maxBackoff", "maxRetryAfter"])
    func hugeDurations(name: String) {
        let fields: [String: WritableKeyPath<Configuration, Duration>] = [
            "connectTimeout": \.connectTimeout, "requestTimeout": \.requestTimeout, "initialBackoff": \.initialBackoff,
            "maxBackoff": \.maxBackoff, "maxRetryAfter": \.maxRetryAfter,
        ]
        guard let field = fields[name] else { Issue.record("no field \(name)"); return }
        var configuration = Configuration(credentials: .apiToken("t"), baseURL: "http://127.0.0.1:9")
        configuration.maxBackoff = .seconds(86_400)
        configuration[keyPath: field] = .seconds(Int64.max / 2)
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try CFCertsClient(configuration: configuration) }
        configuration[keyPath: field] = .seconds(86_401)
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try CFCertsClient(configuration: configuration) }
        var total = Configuration(credentials: .apiToken("t"), baseURL: "http://127.0.0.1:9")
        total.totalTimeout = .seconds(Int64.max / 2)
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try CFCertsClient(configuration: total) }
        total.totalTimeout = .zero
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) { _ = try CFCertsClient(configuration: total) }
    }

    @Test("a base URL carrying user:pass@ is refused, and the password is in no message")
    func credentialsInURL() {
        for url in ["https://user:s3cretpass@api.example.com/client/v4", "http://user@127.0.0.1:9/client/v4"] {
            let error = #expect(throws: CFCertsError.self) {
                _ = try CFCertsClient(configuration: Configuration(credentials: .apiToken("t"), baseURL: url))
            }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message.contains("s3cretpass") == false)
        }
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
            _ = try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN": "t", "CLOUDFLARE_BASE_URL": "https://u:p@h.example/"])
        }
    }

    @Test("no secret in dump(), Mirror, String(reflecting:) or debugDescription")
    func secretsHidden() {
        let all: [Credentials] = [.apiToken("tok-SECRET-1"), .apiKey(email: "a@b.c", key: "key-SECRET-2"),
                                  .userServiceKey("svc-SECRET-3")]
        for credentials in all {
            var dumped = ""
            dump(credentials, to: &dumped)
            var configurationDump = ""
            dump(Configuration(credentials: credentials), to: &configurationDump)
            let mirrored = Mirror(reflecting: credentials).children.map { "\($0.label ?? ""): \($0.value)" }.joined()
            for text in [dumped, configurationDump, mirrored, String(reflecting: credentials), credentials.debugDescription, "\(credentials)"] {
                #expect(!text.contains("SECRET"), "\(text)")
            }
            #expect(dumped.contains("redacted"))
        }
    }

    @Test("resolving: explicit values win, the environment fills the rest")
    func resolving() throws {
        let environment = ["CLOUDFLARE_API_TOKEN": "env-token", "CLOUDFLARE_BASE_URL": "http://127.0.0.1:1/client/v4"]
        let explicit = try Configuration.resolving(credentials: .userServiceKey("svc"), baseURL: "http://127.0.0.1:2", environment: environment)
        #expect(explicit.credentials == .userServiceKey("svc"))
        #expect(explicit.baseURL == "http://127.0.0.1:2")
        let fallback = try Configuration.resolving(environment: environment)
        #expect(fallback.credentials == .apiToken("env-token"))
        #expect(fallback.baseURL == "http://127.0.0.1:1/client/v4")
        #expect(try Credentials.explicit(apiToken: nil, apiEmail: "a@b.c", apiKey: "k", userServiceKey: nil) == .apiKey(email: "a@b.c", key: "k"))
        #expect(try Credentials.explicit(apiToken: nil, apiEmail: nil, apiKey: nil, userServiceKey: nil) == nil)
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
            _ = try Credentials.explicit(apiToken: "t", apiEmail: nil, apiKey: nil, userServiceKey: "s")
        }
        #expect(throws: CFCertsError(kind: .invalidArgument, message: "")) {
            _ = try Credentials.explicit(apiToken: nil, apiEmail: nil, apiKey: "k", userServiceKey: nil)
        }
    }

    @Test("the token from a file (CLOUDFLARE_API_TOKEN_FILE): its line, after the variable, before the key; bad files refused without blocking or showing it")
    func tokenFromFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cfcerts-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/token"
        try "s3cr3t-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN_FILE": file]).credentials == .apiToken("s3cr3t-token"))
        #expect(try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN_FILE": file, "CLOUDFLARE_API_KEY": "k", "CLOUDFLARE_EMAIL": "a@b.c"])
            .credentials == .apiToken("s3cr3t-token"))
        // The variable itself still wins: a renew.env that holds the token keeps working beside an empty token file.
        #expect(try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN": "tok", "CLOUDFLARE_API_TOKEN_FILE": folder + "/missing"])
            .credentials == .apiToken("tok"))
        #expect(try Configuration.resolving(environment: ["CLOUDFLARE_API_TOKEN_FILE": file]).credentials == .apiToken("s3cr3t-token"))

        try "\n".write(toFile: folder + "/empty", atomically: true, encoding: .utf8)
        try "s3cr3t-token\nsecond line\n".write(toFile: folder + "/two-lines", atomically: true, encoding: .utf8)
        try String(repeating: "s3cr3t", count: 2000).write(toFile: folder + "/long", atomically: true, encoding: .utf8)
        #expect(mkfifo(folder + "/fifo", 0o600) == 0)  // nobody writes to it: opening it for reading would block
        for name in ["missing", "empty", "two-lines", "long", "fifo", "."] {
            let path = folder + "/" + name
            do {
                _ = try Configuration.fromEnvironment(["CLOUDFLARE_API_TOKEN_FILE": path])
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.kind == .invalidArgument, "\(name)")
                #expect(error.message.contains("CLOUDFLARE_API_TOKEN_FILE") && error.message.contains(path), "\(name): \(error.message)")
                #expect(!error.message.contains("s3cr3t") && !error.message.contains("second"), "\(name): \(error.message)")
            }
        }
    }
}
