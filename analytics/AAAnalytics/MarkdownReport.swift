import Foundation

/// The report the meta-agent reads: Markdown within a fixed byte budget however big the input,
/// clusters in rank order until the budget is spent (the JSON report has everything).
public enum MarkdownReport {
    /// The default budget in UTF-8 bytes.
    public static let defaultBudget = 8_000

    public static func render(_ a: FailureAnalysis, comparison: AnalysisComparison? = nil, budget: Int = defaultBudget) -> String {
        var head = "# Failure report\n\n"
        head += "Jobs: \(list(a.jobs, limit: 5)). Trials: \(a.trials), failed: \(a.failedTrials)"
        if let mean = a.meanReward { head += ", mean reward \(format(mean))" }
        head += ", reward lost \(format(a.rewardLost)).\n"
        if !a.problems.isEmpty { head += "Input problems: \(a.problems.count) (see the JSON report).\n" }
        head += "\n"
        var tail = ""
        if let comparison { tail = compareSection(comparison, limit: max(0, budget / 4)) }

        var body = ""
        var shown = 0
        for (rank, c) in a.clusters.enumerated() {
            let block = clusterBlock(c, rank: rank + 1)
            let footerRoom = 120
            if head.utf8.count + body.utf8.count + block.utf8.count + tail.utf8.count + footerRoom > budget { break }
            body += block
            shown += 1
        }
        if a.clusters.isEmpty { body = a.failedTrials == 0 ? "No failed trials.\n\n" : "" }
        if shown < a.clusters.count {
            let rest = a.clusters[shown...].reduce(0) { $0 + $1.failedTrials }
            body += "_\(a.clusters.count - shown) more clusters (\(rest) failed trials) are in the JSON report._\n\n"
        }
        let text = head + (a.clusters.isEmpty ? body : "## Failure clusters by impact\n\n" + body) + tail
        return TextExcerpt.bounded(text, limit: budget)
    }

    static func clusterBlock(_ c: FailureAnalysis.Cluster, rank: Int) -> String {
        var s = "### \(rank). \(oneLine(c.name, 120))\n"
        s += "\(c.description) \(c.failedTrials) failed trials (\(percent(c.share)) of failures), reward lost \(format(c.rewardLost)), "
        s += "\(c.tasks.count) tasks: \(list(c.tasks, limit: 4))"
        if let m = c.medianStep { s += "; lost direction at median step \(format(m))" }
        s += ".\n**Lever:** \(c.lever)\n"
        for e in c.evidence.prefix(2) {
            s += "- `\(oneLine(e.trial, 60))`"
            if let step = e.step { s += " step \(step)" }
            if let command = e.command { s += ": `\(oneLine(command, 120))`" }
            if let output = e.output { s += " → \(oneLine(output, 160))" }
            s += "\n"
        }
        return s + "\n"
    }

    static func compareSection(_ c: AnalysisComparison, limit: Int) -> String {
        var s = "## Compared with \(list(c.baselineJobs, limit: 3))\n\n"
        s += "Failed trials \(c.baselineFailed) → \(c.currentFailed); mean reward \(c.baselineMeanReward.map(format) ?? "–") → \(c.currentMeanReward.map(format) ?? "–").\n\n"
        for row in c.rows where row.before != row.after {
            let line = "- \(oneLine(row.name, 90)): \(row.before) → \(row.after) (\(row.after > row.before ? "+" : "")\(row.after - row.before))\n"
            if s.utf8.count + line.utf8.count > limit { break }
            s += line
        }
        return s + "\n"
    }

    static func oneLine(_ s: String, _ limit: Int) -> String {
        TextExcerpt.bounded(s.replacingOccurrences(of: "\n", with: " ⏎ ").replacingOccurrences(of: "`", with: "'"), limit: limit)
    }

    static func list(_ items: [String], limit: Int) -> String {
        let shown = items.prefix(limit).map { oneLine($0, 40) }.joined(separator: ", ")
        return items.count > limit ? shown + " (+\(items.count - limit))" : shown
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.2f", v)
    }

    static func percent(_ v: Double) -> String { String(format: "%.0f%%", v * 100) }
}
