#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGINT and SIGTERM caught while a deploy hook runs, so cfcerts can pass them on to the hook's process group
/// (which a terminal's Ctrl-C does not reach) and wait for it, instead of dying and leaving it unwatched.
/// Installed by `init`, the earlier actions put back by `restore()`. A signal cfcerts was started with ignored (a
/// background job of a script ignores SIGINT) stays ignored.
struct SignalRelay {
    static let signals: [Int32] = [SIGINT, SIGTERM]
    private var earlier: [sigaction] = []

    init() {
        relaySignalCount.store(0, ordering: .relaxed)  // also initialises the globals outside the handler
        relayLastSignal.store(0, ordering: .relaxed)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            relayLastSignal.store(signal, ordering: .relaxed)
            relaySignalCount.add(1, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for signal in Self.signals {
            var previous = sigaction()
            sigaction(signal, nil, &previous)
            earlier.append(previous)
            if !Self.isIgnored(previous) { sigaction(signal, &action, nil) }
        }
    }

    private static func isIgnored(_ action: sigaction) -> Bool {
        unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// How many of the signals arrived since `init`.
    var count: Int { relaySignalCount.load(ordering: .relaxed) }

    /// The latest of them (0: none).
    var last: Int32 { relayLastSignal.load(ordering: .relaxed) }

    func restore() {
        for (signal, previous) in zip(Self.signals, earlier) {
            var previous = previous
            sigaction(signal, &previous, nil)
        }
    }
}

// Written by the signal handler, so lock-free atomics (a handler may touch nothing else).
private let relaySignalCount = Atomic<Int>(0)
private let relayLastSignal = Atomic<Int32>(0)
