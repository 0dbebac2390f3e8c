import Foundation

/// What the meta-agent (or an external coding agent, through `aa optimize status`) is shown before a
/// proposal: search-panel names, the current best's scores, the ledger of past experiments
/// (search scores and validation scores only — never test scores or held-out task names), the
/// learnings memo, the search failure report and the harness files.
public enum MetaBriefing {
    public static let maxExperiments = 30
    /// Bytes of the failure report in the briefing (the `read_report` tool gives the whole report).
    public static let reportBudget = 4_000

    public static func render(config: OptimizeConfig, records: [ExperimentRecord], best: ExperimentRecord?, learnings: String,
                              failureReport: String, harnessFiles: [(path: String, bytes: Int)]) -> String {
        var text = "# Briefing\n\n"
        text += "Search panel (the only tasks you may look at): \(config.panels.search.joined(separator: ", "))\n"
        text += "Validation panel: \(config.panels.validation.count) held-out tasks (scores only). Test panel: held out.\n"
        text += "Trials per task: \(config.trialsPerTask); significance level: \(config.alpha)\n"
        if let best {
            text += "Current best: experiment \(best.id) (commit \(best.commitID.map { String($0.prefix(7)) } ?? "?")), search score "
            text += format(best.avgScore) + ", validation score " + format(best.validationScore)
            text += ", noise floor " + format(best.noiseFloor ?? records.first?.noiseFloor) + "\n"
        }
        let past = records.filter { $0.id > 0 && $0.status != .running }.suffix(maxExperiments)
        text += "\n## Past experiments (\(records.filter { $0.id > 0 && $0.status != .running }.count))\n\n"
        if past.isEmpty {
            text += "None yet.\n"
        } else {
            text += "id | status | search score (parent) | validation | description | reason\n"
            for r in past {
                text += "\(r.id) | \(r.status.rawValue) | \(format(r.avgScore)) (\(format(r.parentScore))) | \(format(r.validationScore)) | "
                text += oneLine(r.description) + " | " + oneLine(r.reason) + "\n"
            }
        }
        text += "\n## Your learnings memo\n\n" + (learnings.isEmpty ? "(empty)" : learnings) + "\n"
        text += "\n## Failure report of the current best on the search panel\n\n" + failureReport + "\n"
        text += "\n## Harness files\n\n" + harnessFiles.map { "\($0.path) (\($0.bytes) bytes)" }.joined(separator: "\n") + "\n"
        return text
    }

    static func format(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }

    static func oneLine(_ text: String) -> String {
        String(text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "/").prefix(200))
    }
}
