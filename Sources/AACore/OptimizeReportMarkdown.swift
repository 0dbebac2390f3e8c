import Foundation

/// The optimize report as Markdown (for a terminal or a pull request): the header, the headline, failure modes,
/// every experiment in one table, and the diffs of the kept experiments.
public enum OptimizeReportMarkdown {
    public static func render(_ report: OptimizeReport, generatedAt: String) -> String {
        let run = report.run
        var m = "# \(cell(run.name.isEmpty ? "Optimize run" : run.name))\n\n"
        m += "\(cell(run.stateLine)) · report generated \(cell(generatedAt))\n\n"
        let spend = report.spending
        let panels = ["search", "validation", "test"].map { "\($0) \(run.panels[$0].map(String.init) ?? "–")" }.joined(separator: " · ")
        m += "| | |\n|---|---|\n"
        for (k, v) in [("suite", run.suite), ("harness", run.harnessSource), ("task model", run.taskModel), ("meta-model", run.metaModel),
                       ("panels (tasks)", panels), ("noise floor", ReportFormat.score(report.noiseFloor)),
                       ("experiments finished", ReportFormat.spend(spend.experiments, String.init, share: { Double($0) / Double($1) })),
                       ("dollars", ReportFormat.spend(spend.usd, ReportFormat.usd, share: { $0 / $1 })),
                       ("tokens", ReportFormat.spend(spend.tokens, ReportFormat.tokens, share: { Double($0) / Double($1) })),
                       ("wall time (experiments)", ReportFormat.spend(spend.wallSeconds, ReportFormat.duration, share: { $0 / $1 }))] {
            m += "| \(k) | \(cell(v.isEmpty ? "–" : v)) |\n"
        }

        m += "\n## Headline\n\n| panel | baseline | best | Δ |\n|---|---:|---:|---:|\n"
        for (name, c) in [("search", report.headline.search), ("validation", report.headline.validation), ("test", report.headline.test)] {
            m += "| \(name) | \(ReportFormat.score(c.baseline)) | \(ReportFormat.score(c.best)) | \(ReportFormat.delta(c.delta)) |\n"
        }
        m += "\n" + OptimizeReportSummary.countsLine(report.counts) + "\n"
        if let best = report.best, best.status == .keep {
            m += "Best harness: #\(best.id)\(best.commitID.map { " (`\(String($0.prefix(7)).filter(\.isHexDigit))`)" } ?? ""): \(cell(best.description))\n"
        }

        if !report.topModes.isEmpty {
            let baseline = report.experiments.first { $0.status == .baseline }
            m += "\n## Failure modes\n\nFailed search-panel trials of the most frequent modes.\n\n| mode | baseline | best | all experiments |\n|---|---:|---:|---:|\n"
            for mode in report.topModes {
                let total = report.experiments.map { $0.failureModes[mode] ?? 0 }.reduce(0, +)
                m += "| \(cell(mode)) | \(baseline.map { String($0.failureModes[mode] ?? 0) } ?? "–") | \(report.best.map { String($0.failureModes[mode] ?? 0) } ?? "–") | \(total) |\n"
            }
        }

        m += "\n## Experiments\n\n| # | round/cand. | status | score vs parent | Δ [interval] p | validation vs parent | cost | tokens | wall | description | reason |\n"
        m += "|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|\n"
        for e in report.experiments {
            m += "| \(e.id) | \(e.round)/\(e.candidate) | \(e.status.rawValue) | \(ReportFormat.score(e.avgScore)) vs \(ReportFormat.score(e.parentScore)) | "
            m += "\(ReportFormat.test(statistic: e.statistic, low: e.ciLow, high: e.ciHigh, p: e.pValue)) | "
            m += "\(ReportFormat.score(e.validationScore)) vs \(ReportFormat.score(e.parentValidationScore)) | \(ReportFormat.usd(e.costUSD)) | "
            m += "\(ReportFormat.tokens(e.tokens)) | \(ReportFormat.duration(e.wallSeconds)) | \(cell(e.description)) | \(cell(e.reason)) |\n"
        }

        let kept = report.experiments.filter { $0.status == .keep && !$0.diff.isEmpty }
        if !kept.isEmpty {
            m += "\n## Diffs of the kept experiments\n"
            for e in kept {
                let fence = String(repeating: "`", count: max(3, longestBacktickRun(e.diff) + 1))
                m += "\n### #\(e.id): \(cell(e.description))\n\n\(fence)diff\n\(e.diff.hasSuffix("\n") ? e.diff : e.diff + "\n")\(fence)\n"
            }
        }
        return m
    }

    /// Text made safe for a table cell: one line, no table breaks, no HTML or links from hostile text.
    static func cell(_ s: String) -> String {
        var out = ""
        for c in OptimizeReportSummary.printable(s) {
            switch c {
            case "\n", "\r", "\t": out.append(" ")
            case "\\", "|", "<", ">", "[", "]", "`", "*", "_", "#", "!": out += "\\\(c)"
            default: out.append(c)
            }
        }
        return out
    }

    static func longestBacktickRun(_ s: String) -> Int {
        var longest = 0, run = 0
        for c in s {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }
}
