import CFCerts
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
/// credential variables (`Configuration.EnvironmentVariable.credentialNames`: a hook installs files; it has no use
/// for the API credentials).
///
/// The hook starts as from a shell: every signal at its default action (NIO ignores SIGPIPE in cfcerts) and none
/// blocked, in a process group of its own. It is ended after `timeout` (SIGTERM to its group, SIGKILL 5 s later)
/// and counts as failed. A SIGINT or SIGTERM to cfcerts while it runs is passed on to its group and the hook is
/// waited for (up to its timeout; a second signal kills the group): the renewal stays pending, for the next run.
/// Once a hook ended by a timeout or a signal is gone, whatever is left of its group is killed.
struct DeployHook {
    let command: String
    let timeout: CLIDuration

    enum Outcome: Equatable {
        case succeeded
        case failed(String)
        /// cfcerts was sent this signal while the hook ran; the hook has ended.
        case interrupted(Int32)
    }

    func run(_ variables: [String: String]) async -> Outcome {
        var environment = ProcessInfo.processInfo.environment.filter {
            !Configuration.EnvironmentVariable.credentialNames.contains($0.key)
        }
        environment.merge(variables) { _, new in new }
        let signals = SignalRelay()
        let outcome: Outcome
        if let pid = spawn(environment: environment) {
            outcome = await watch(pid, signals: signals)
        } else {
            outcome = .failed("could not be started: \(String(cString: strerror(errno)))")
        }
        signals.restore()
        // A signal that came as the hook ended is not lost: the run stops all the same.
        return signals.count > 0 ? .interrupted(signals.last) : outcome
    }

    /// Waits for the hook, ending it after its timeout, and passing on the signals cfcerts receives meanwhile.
    private func watch(_ pid: pid_t, signals: SignalRelay) async -> Outcome {
        let deadline = ContinuousClock.now + timeout.duration
        var timedOutAt: ContinuousClock.Instant?
        var relayed = 0
        while true {
            switch state(of: pid, endingItsGroup: timedOutAt != nil || relayed > 0) {
            case .running: break
            case .exited where relayed > 0: return .interrupted(signals.last)
            case .exited(let status): return Self.describe(status, timedOut: timedOutAt != nil)
            case .unwaitable(let reason): return .failed("could not be waited for: \(String(cString: strerror(reason)))")
            }
            let now = ContinuousClock.now
            let received = signals.count
            if received > relayed {
                // The first is passed on as it came; another means "now": the group is killed.
                kill(-pid, received == 1 ? signals.last : SIGKILL)
                if received == 1 {
                    StandardError.write("cfcerts: \(Self.name(of: signals.last)) passed on to the deploy hook; waiting for it to end (again to kill it)\n")
                }
                relayed = received
            }
            if timedOutAt == nil, now >= deadline {
                kill(-pid, SIGTERM)
                timedOutAt = now
            } else if let timedOutAt, now >= timedOutAt + .seconds(5) {
                kill(-pid, SIGKILL)
            }
            // Not cancellable on purpose: a hook is never left running unwatched.
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private enum State {
        case running
        /// Its wait status; it is reaped.
        case exited(Int32)
        /// waitid's errno.
        case unwaitable(Int32)
    }

    /// Whether the hook still runs. Once it has exited, with `endingItsGroup`, what is left of its process group is
    /// killed first, while the unreaped hook still holds the group's id (so no other group can have taken it).
    private func state(of pid: pid_t, endingItsGroup: Bool) -> State {
        var info = siginfo_t()
        if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 {
            return errno == EINTR ? .running : .unwaitable(errno)
        }
        guard info._sifields._sigchld.si_pid == pid else { return .running }
        if endingItsGroup { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return .exited(status)
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
        // Every signal at its default action (SIGPIPE too, which NIO ignores in cfcerts) and none blocked.
        var everySignal = sigset_t(), noSignal = sigset_t()
        sigfillset(&everySignal)
        sigemptyset(&noSignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
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

    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
