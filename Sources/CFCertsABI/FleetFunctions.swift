import CCFCerts
import CFCerts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What `cfcerts_fleet_plan` and `cfcerts_fleet_apply_new` read: the manifest and where it lives.
private struct FleetArguments {
    let manifest: FleetManifest
    let stateFolder: String
    let params: JSONObject

    static let largestManifest = 16 << 20

    init(_ manifest_json: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?, allowed: Set<String>) throws(CFCertsError) {
        let text = try Arguments.string(manifest_json, name: "manifest_json", maxBytes: Self.largestManifest)
        guard params_json != nil else { throw Arguments.invalid("params_json is NULL: it names base_dir and state_dir") }
        params = try Arguments.object(params_json, name: "params_json", allowed: allowed.union(["base_dir", "state_dir"]))
        let base = try params.required(try params.string("base_dir"), "base_dir")
        stateFolder = try params.required(try params.string("state_dir"), "state_dir")
        guard !base.isEmpty, !stateFolder.isEmpty else { throw Arguments.invalid("params_json.base_dir and state_dir must not be empty") }
        manifest = try FleetManifest(json: Array(text.utf8), baseDirectory: base)
    }
}

/// What a `cfcerts_fleet_apply *` points to: the core's apply run and the client it keeps alive.
final class FleetApplyHandle: @unchecked Sendable {
    let run: FleetApplyRun
    private let client: ClientHandle
    private var over = false
    private let pid = getpid()

    init(client: ClientHandle, run: FleetApplyRun) {
        self.client = client
        self.run = run
        client.retainUse()
    }

    func close() {
        run.cancel()
        client.releaseUse()
    }

    func next() throws(CFCertsError) -> [UInt8]? {
        try checkProcess()
        if !over {
            guard !run.awaitsHookAnswer else {
                throw Arguments.invalid("the apply waits for the hook it handed out: answer it with cfcerts_fleet_apply_hook_done() first")
            }
            let run = self.run
            switch BlockingBridge.run({ await run.next() }) {
            case .result(let result)?: return Array(try Arguments.json(result).utf8)
            case .hook(let request)?: return Array(try Arguments.json(["hook": request]).utf8)
            case nil: over = true
            }
        }
        if case .failure(let error)? = run.outcome { throw error }
        return nil
    }

    func answerHook(succeeded: Bool, detail: String?) throws(CFCertsError) {
        try checkProcess()
        let outcome: FleetHookOutcome = succeeded ? .succeeded : .failed(detail.map { "failed: \($0)" } ?? "failed")
        guard run.answerHook(outcome) else {
            throw Arguments.invalid("no hook waits for an answer (none was handed out, it was answered, or the apply was cancelled: then the next apply runs it again)")
        }
    }

    func report() throws(CFCertsError) -> [UInt8] {
        try checkProcess()
        switch run.outcome {
        case nil: throw Arguments.invalid("the apply is not over: call cfcerts_fleet_apply_next() until CFCERTS_ITEROVER first")
        case .failure(let error)?: throw error
        case .success(let report)?: return Array(try Arguments.json(report).utf8)
        }
    }

    private func checkProcess() throws(CFCertsError) {
        guard pid == getpid() else {
            throw Arguments.invalid("this apply was started before fork(): start a new one in this process")
        }
    }

    static func from(_ pointer: OpaquePointer?) throws(CFCertsError) -> FleetApplyHandle {
        guard let pointer else { throw Arguments.invalid("apply is NULL") }
        return Unmanaged<FleetApplyHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

@c @implementation
public func cfcerts_fleet_plan(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ client: OpaquePointer?,
                               _ manifest_json: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?) -> Int32 {
    handOut(out) { () throws(CFCertsError) -> String in
        let handle = try ClientHandle.from(client)
        let arguments = try FleetArguments(manifest_json, params_json, allowed: [])
        let plan = try handle.run { client throws(CFCertsError) in
            try await client.fleet.plan(arguments.manifest, stateFolder: arguments.stateFolder)
        }
        return try Arguments.json(plan)
    }
}

@c @implementation
public func cfcerts_fleet_apply_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
                                    _ manifest_json: UnsafePointer<CChar>?, _ params_json: UnsafePointer<CChar>?) -> Int32 {
    handOutObject(out) { () throws(CFCertsError) -> AnyObject in
        let handle = try ClientHandle.from(client)
        let arguments = try FleetArguments(manifest_json, params_json, allowed: ["concurrency", "plan_basis", "caller_runs_hooks"])
        let concurrency = try arguments.params.integer("concurrency") ?? FleetApplyOptions().concurrency
        guard BulkOptions.concurrencyRange.contains(concurrency) else {
            throw Arguments.invalid("params_json.concurrency must be from 1 to \(BulkOptions.concurrencyRange.upperBound)")
        }
        let callerRunsHooks = try arguments.params.bool("caller_runs_hooks") ?? false
        if !callerRunsHooks, let entry = arguments.manifest.entries.first(where: { $0.hook != nil }) {
            throw Arguments.invalid("\(entry.name) has a hook: pass \"caller_runs_hooks\": true in params_json and run each hook cfcerts_fleet_apply_next() hands out")
        }
        let options = FleetApplyOptions(concurrency: concurrency, expectedBasis: try arguments.params.string("plan_basis"))
        let run = handle.client.fleet.startApply(arguments.manifest, stateFolder: arguments.stateFolder, options: options,
                                                 callerRunsHooks: callerRunsHooks, taskExecutor: BlockingExecutor.shared)
        return FleetApplyHandle(client: handle, run: run)
    }
}

@c @implementation
public func cfcerts_fleet_apply_next(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ apply: OpaquePointer?) -> Int32 {
    handOutNext(out) { () throws(CFCertsError) -> [UInt8]? in try FleetApplyHandle.from(apply).next() }
}

@c @implementation
public func cfcerts_fleet_apply_hook_done(_ apply: OpaquePointer?, _ succeeded: Int32, _ detail: UnsafePointer<CChar>?) -> Int32 {
    handOutStatus { () throws(CFCertsError) in
        let handle = try FleetApplyHandle.from(apply)
        let text = try detail.map { pointer throws(CFCertsError) in try Arguments.string(pointer, name: "detail", maxBytes: 1024) }
        try handle.answerHook(succeeded: succeeded != 0, detail: text)
    }
}

@c @implementation
public func cfcerts_fleet_apply_report(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ apply: OpaquePointer?) -> Int32 {
    handOutBytes(out) { () throws(CFCertsError) -> [UInt8] in try FleetApplyHandle.from(apply).report() }
}

@c @implementation
public func cfcerts_fleet_apply_cancel(_ apply: OpaquePointer?) {
    (try? FleetApplyHandle.from(apply))?.run.cancel()
}

@c @implementation
public func cfcerts_fleet_apply_free(_ apply: OpaquePointer?) {
    guard let apply else { return }
    Unmanaged<FleetApplyHandle>.fromOpaque(UnsafeRawPointer(apply)).takeRetainedValue().close()
}
