#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `renew --deploy-hook CMD`: runs `/bin/sh -c CMD` once per renewed certificate, its output sent to standard error
/// (standard output stays the command's report), with the renewal in `CFCERTS_*` variables and without the
/// credential variables (a hook installs files; it has no use for the API token). A hook still running after
/// `timeout` is ended (SIGTERM to its process group, SIGKILL 5 s later) and counts as failed.
struct DeployHook {
    let command: String
    let timeout: CLIDuration

    enum Outcome: Equatable {
        case succeeded
        case failed(String)
    }

    /// Variables a hook never inherits.
    static let withheldVariables: Set<String> = [
        "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_API_USER_SERVICE_KEY",
    ]

    func run(_ variables: [String: String]) async -> Outcome {
        var environment = ProcessInfo.processInfo.environment.filter { !Self.withheldVariables.contains($0.key) }
        environment.merge(variables) { _, new in new }
        guard let pid = spawn(environment: environment) else {
            return .failed("could not be started: \(String(cString: strerror(errno)))")
        }
        let deadline = ContinuousClock.now + timeout.duration
        var terminatedAt: ContinuousClock.Instant?
        while true {
            var status: Int32 = 0
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { return Self.describe(status, timedOut: terminatedAt != nil) }
            if waited < 0, errno != EINTR { return .failed("could not be waited for: \(String(cString: strerror(errno)))") }
            let now = ContinuousClock.now
            if terminatedAt == nil, now >= deadline {
                kill(-pid, SIGTERM)
                terminatedAt = now
            } else if let terminatedAt, now >= terminatedAt + .seconds(5) {
                kill(-pid, SIGKILL)
            }
            // Not cancellable on purpose: a hook is never left running unwatched.
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func spawn(environment: [String: String]) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO)
        // A process group of its own, so a timeout ends everything the hook started.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        let words: [String] = ["/bin/sh", "-c", command]
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments, variables)
        guard result == 0 else {
            errno = result
            return nil
        }
        return pid
    }

    private static func describe(_ status: Int32, timedOut: Bool) -> Outcome {
        let signal = status & 0x7f
        if signal == 0 {
            let code = (status >> 8) & 0xff
            return code == 0 && !timedOut ? .succeeded : .failed("exited with status \(code)\(timedOut ? " after its timeout" : "")")
        }
        return .failed(timedOut ? "was ended after its timeout (--hook-timeout)" : "was killed by signal \(signal)")
    }
}
