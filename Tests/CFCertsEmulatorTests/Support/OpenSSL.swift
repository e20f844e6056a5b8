import Foundation

/// Runs the `openssl` command line tool: the independent judge of what the emulator's CA issues.
enum OpenSSL {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil) throws -> Output {
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

    /// A temporary directory removed when the returned closure runs.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cfcerts-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A CSR made by `openssl req -new -newkey rsa:2048 -nodes -subj SUBJECT` (its key is discarded).
    static func makeCSR(subject: String = "/C=US/ST=CA/L=San Francisco/O=Example Inc/OU=Platform/CN=client.example.com",
                        key: String = "rsa:2048") throws -> String {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = ["req", "-new", "-nodes", "-subj", subject,
                         "-keyout", directory.appendingPathComponent("key.pem").path]
        if key.hasPrefix("ec:") {
            arguments += ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:\(key.dropFirst(3))"]
        } else {
            arguments += ["-newkey", key]
        }
        let output = try run(arguments)
        guard output.status == 0 else { throw HarnessError("openssl req failed: \(output.stderr)") }
        return output.stdout
    }

    /// The same CSR with one bit of its signature flipped: well-formed, but the signature no longer verifies.
    static func breakSignature(of csr: String) throws -> String {
        let lines = csr.split(separator: "\n").filter { !$0.hasPrefix("-----") }
        guard var der = Data(base64Encoded: lines.joined()) else { throw HarnessError("not PEM") }
        der[der.count - 1] ^= 0x01
        let body = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE REQUEST-----\n\(body)\n-----END CERTIFICATE REQUEST-----\n"
    }
}
