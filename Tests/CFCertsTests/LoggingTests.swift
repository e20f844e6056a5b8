@testable import CFCerts
import Logging
import Testing

@Suite("Logging")
struct LoggingTests {
    @Test("off by default; CLOUDFLARE_LOG=debug turns on debug logging")
    func environmentSwitch() {
        let off = Configuration.defaultLogger(environment: [:])
        #expect(off.handler is SwiftLogNoOpLogHandler)
        let on = Configuration.defaultLogger(environment: ["CLOUDFLARE_LOG": "DEBUG"])
        #expect(on.logLevel == .debug)
        #expect(!(on.handler is SwiftLogNoOpLogHandler))
        #expect(Configuration.defaultLogger(environment: ["CLOUDFLARE_LOG": "nonsense"]).handler is SwiftLogNoOpLogHandler)
    }
}
