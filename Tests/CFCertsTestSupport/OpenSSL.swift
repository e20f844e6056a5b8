import Foundation

/// Runs the `openssl` command line tool: the independent judge of what the emulator's CA issues.
public enum OpenSSL {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs openssl on a thread of its own, so waiting for it never blocks Swift's cooperative pool (two
    /// threads on a two-core machine: blocking them would stall every other test's timers).
    @discardableResult
    public static func run(_ arguments: [String], stdin: String? = nil) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(arguments, stdin: stdin) })
            }
        }
    }

    private static func runBlocking(_ arguments: [String], stdin: String?) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// A new temporary directory; the caller removes it.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cfcerts-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A CSR made by `openssl req -new -newkey rsa:2048 -nodes -subj SUBJECT` (its key is discarded).
    public static func makeCSR(subject: String = "/C=US/ST=CA/L=San Francisco/O=Example Inc/OU=Platform/CN=client.example.com",
                        key: String = "rsa:2048") async throws -> String {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = ["req", "-new", "-nodes", "-subj", subject,
                         "-keyout", directory.appendingPathComponent("key.pem").path]
        if key.hasPrefix("ec:") {
            arguments += ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:\(key.dropFirst(3))"]
        } else {
            arguments += ["-newkey", key]
        }
        let output = try await run(arguments)
        guard output.status == 0 else { throw HarnessError("openssl req failed: \(output.stderr)") }
        return output.stdout
    }

    /// The same CSR with one bit of its signature flipped: well-formed, but the signature no longer verifies.
    public static func breakSignature(of csr: String) throws -> String {
        let lines = csr.split(separator: "\n").filter { !$0.hasPrefix("-----") }
        guard var der = Data(base64Encoded: lines.joined()) else { throw HarnessError("not PEM") }
        der[der.count - 1] ^= 0x01
        let body = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE REQUEST-----\n\(body)\n-----END CERTIFICATE REQUEST-----\n"
    }
}

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    /// The rest of the first line that starts with `prefix`.
    public func firstLine(after prefix: String) -> String? {
        split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}
