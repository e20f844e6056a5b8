import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where to connect and as whom: flags first, the `CLOUDFLARE_*` environment for whatever is not given.
struct ConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The zone's id (default: CLOUDFLARE_ZONE_ID).", valueName: "zone-id"))
    var zone: String?

    @Option(help: ArgumentHelp("API token (default: CLOUDFLARE_API_TOKEN). Other users can see flags in `ps`: prefer the environment.",
                               valueName: "token"))
    var apiToken: String?

    @Option(help: ArgumentHelp("Email of a Global API Key (default: CLOUDFLARE_EMAIL).", valueName: "email"))
    var apiEmail: String?

    @Option(help: ArgumentHelp("Global API Key, with --api-email (default: CLOUDFLARE_API_KEY).", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("User service key (default: CLOUDFLARE_API_USER_SERVICE_KEY).", valueName: "key"))
    var userServiceKey: String?

    @Option(help: ArgumentHelp("API base URL (default: CLOUDFLARE_BASE_URL, else https://api.cloudflare.com/client/v4).",
                               valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("Longest a single API call may take, retries included, e.g. 30s or 2m (default: no bound but each call's worst case: 3 attempts of 60 s, 2 waits of up to 60 s and up to 60 s waiting for budget, 360 s; a revoke or reactivate may add one read).",
                               valueName: "duration"))
    var callTimeout: CLIDuration?

    @Option(help: "Retries after a failed attempt, 0 to 10 (default: 2).")
    var maxRetries: Int?

    @Option(help: ArgumentHelp("The most of the credential's request budget this command's calls may spend, REQUESTS/SECONDS (1 to 1000000000 requests per 1 to 86400 seconds; the API's Ratelimit headers may lower it, never raise it), or off (default: 1200/300, Cloudflare's, then what those headers say).",
                               valueName: "budget"))
    var pacing: String?

    /// The zone id from --zone or CLOUDFLARE_ZONE_ID.
    func zoneID(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let zone { return zone }
        if let zone = environment["CLOUDFLARE_ZONE_ID"], !zone.isEmpty { return zone }
        throw CLIFailure("no zone: pass --zone ZONE_ID or set CLOUDFLARE_ZONE_ID")
    }

    /// A client configured from the flags and the environment, checked before any request.
    func makeClient() throws -> CFCertsClient {
        let credentials = try Credentials.explicit(apiToken: apiToken, apiEmail: apiEmail, apiKey: apiKey,
                                                   userServiceKey: userServiceKey)
        var configuration = try Configuration.resolving(credentials: credentials, baseURL: baseURL)
        configuration.userAgentSuffix = "cli"
        if let callTimeout { configuration.totalTimeout = callTimeout.duration }
        if let maxRetries { configuration.maxRetries = maxRetries }
        if let pacing {
            do throws(CFCertsError) {
                configuration.pacing = try Pacing(parsing: pacing)
            } catch {
                throw CLIFailure("--pacing: \(error.message)")
            }
        }
        return try CFCertsClient(configuration: configuration)
    }
}

extension CFCertsClient {
    /// Runs `body` with the client and shuts the client down afterwards, whatever happens.
    func using<Result>(_ body: (CFCertsClient) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            try? await shutdown()
            return result
        } catch {
            try? await shutdown()
            throw error
        }
    }
}
