import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How plans and apply results are printed.
enum FleetReport {
    static func print(_ plan: FleetPlan, format: FleetOutputFormat, to write: (String) -> Void = { Swift.print($0, terminator: "") }) {
        if format == .json {
            write(plan.jsonString() + "\n")
            return
        }
        let shown = plan.steps.filter { $0.action != .none }
        let width = min(40, shown.map(\.name.count).max() ?? 0)
        for step in shown {
            let certificate = step.certificateID.map { " [\($0)]" } ?? ""
            write(pad(step.name, width) + "  " + pad(step.action.rawValue, 15) + "  " + step.reason + certificate + "\n")
        }
        let changes = FleetPlan.Action.allCases.filter { $0 != .none && $0 != .keep }
            .compactMap { action in plan.counts[action.rawValue].flatMap { $0 > 0 ? "\($0) \(action.rawValue)" : nil } }
        let unchanged = plan.counts[FleetPlan.Action.none.rawValue] ?? 0
        let kept = plan.counts[FleetPlan.Action.keep.rawValue] ?? 0
        var summary = changes.isEmpty ? "Plan: nothing to do" : "Plan: " + changes.joined(separator: ", ")
        summary += "; \(unchanged) up to date"
        if kept > 0 { summary += "; \(kept) no longer listed, kept (prune: keep)" }
        summary += ". \(plan.requests) request(s)"
        summary += plan.estimatedSeconds > 0 ? ", about \(plan.estimatedSeconds) s at \(plan.budget).\n" : ", within one window of \(plan.budget).\n"
        write(summary)
    }

    /// One step's result, as it ends.
    static func print(_ result: FleetApplyReport.Result) {
        let id = result.certificateID.map { " [\($0)]" } ?? ""
        let detail = result.detail.map { ": \($0)" } ?? ""
        Swift.print("\(result.outcome == .done ? "done  " : "FAILED") \(pad(result.action.rawValue, 15)) \(result.name)\(id)\(detail)")
    }

    static func finish(_ report: FleetApplyReport, format: FleetOutputFormat) {
        if format == .json {
            Swift.print(report.jsonString())
            return
        }
        StandardError.writeAfterOutput("Apply: \(report.done) done, \(report.failed) failed, \(report.rateLimitedAnswers) answers 429.\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
