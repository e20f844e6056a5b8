import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The `cfcerts-emulator` executable running in a process of its own, and the base URL from its first line.
public final class EmulatorProcess: @unchecked Sendable {
    /// Built next to the test bundle by `swift build --build-tests`; `CFCERTS_EMULATOR_BIN` overrides.
    public static var executable: String {
        if let override = ProcessInfo.processInfo.environment["CFCERTS_EMULATOR_BIN"] { return override }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("cfcerts-emulator").path
    }

    private let process = Process()
    /// `http://127.0.0.1:PORT/client/v4`
    public private(set) var baseURL = ""
    /// Every line printed at start-up (base URL, credentials, controls).
    public private(set) var banner: [String] = []

    /// Starts the emulator with `arguments` and waits for its start-up lines.
    public init(_ arguments: [String]) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let handle = output.fileHandleForReading
        while !text.contains("controls:") {
            let data = handle.availableData
            guard !data.isEmpty else { break }
            text += String(decoding: data, as: UTF8.self)
        }
        banner = text.split(separator: "\n").map(String.init)
        baseURL = banner.first ?? ""
    }

    /// Sends `signal` and waits for the process to exit; returns its exit status.
    @discardableResult
    public func signal(_ signal: Int32) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { signal(SIGKILL) }
    }
}
