// make bench: the Swift API's side of the measurements (the C side is bench/list_bench.c).
//   cfcerts-bench list ZONE COUNT       every certificate through list(); prints seconds
//   cfcerts-bench gets ZONE ID N        N sequential gets; prints the median and p99 per call, in microseconds
// Credentials and base URL from CLOUDFLARE_API_TOKEN / CLOUDFLARE_BASE_URL. No Foundation: its memory would
// weigh on the Swift side of the resident-memory comparison, and the SDK does not need it.
import CFCerts

#if canImport(Glibc)
import Glibc
#endif

@main
struct Bench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4 else {
            let usage = "usage: cfcerts-bench list ZONE COUNT | gets ZONE ID N\n"
            _ = usage.withCString { write(2, $0, strlen($0)) }
            exit(2)
        }
        let client = try CFCertsClient(configuration: .fromEnvironment())
        let certificates = client.clientCertificates
        let clock = ContinuousClock()
        switch arguments[1] {
        case "list":
            let expected = Int(arguments[3]) ?? 0
            let start = clock.now
            var count = 0
            for try await _ in try certificates.list(zoneID: arguments[2], prefetchPages: 4) { count += 1 }   // as the C iterator by default
            let elapsed = clock.now - start
            guard count == expected else { fatalError("listed \(count) of \(expected)") }
            print(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
        case "gets":
            let n = arguments.count > 4 ? Int(arguments[4]) ?? 1000 : 1000
            _ = try await certificates.get(zoneID: arguments[2], id: arguments[3])
            var times: [Double] = []
            for _ in 0..<n {
                let start = clock.now
                _ = try await certificates.get(zoneID: arguments[2], id: arguments[3])
                let elapsed = clock.now - start
                times.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
            }
            times.sort()
            print(times[n / 2], times[min(n - 1, n * 99 / 100)])
        default:
            exit(2)
        }
        try await client.shutdown()
    }
}
