import Foundation

/// The one-screen text summary `aa report` prints: the headline, the counts, spending and the kept experiments.
public enum OptimizeReportSummary {
    /// Kept experiments listed (the latest ones).
    public static let keptShown = 8

    public static func render(_ report: OptimizeReport, width: Int = 100) -> String {
        let run = report.run
        var s = "\(printable(run.name.isEmpty ? "optimize run" : run.name)): \(printable(run.stateLine))\n"
        for (name, c) in [("search", report.headline.search), ("validation", report.headline.validation), ("test", report.headline.test)] {
            s += "  " + name.padding(toLength: 11, withPad: " ", startingAt: 0)
            s += "\(ReportFormat.score(c.baseline)) → \(ReportFormat.score(c.best))"
            if let d = c.delta { s += " (\(ReportFormat.delta(d)))" }
            if name == "search", let best = report.best, best.status == .keep { s += "  best #\(best.id)" }
            s += "\n"
        }
        s += "  " + countsLine(report.counts) + "\n"
        let spend = report.spending
        s += "  spent      \(ReportFormat.spend(spend.usd, ReportFormat.usd, share: { $0 / $1 })), "
        s += "\(ReportFormat.spend(spend.tokens, ReportFormat.tokens, share: { Double($0) / Double($1) })) tokens, "
        s += "\(ReportFormat.spend(spend.wallSeconds, ReportFormat.duration, share: { $0 / $1 }))\n"
        let kept = report.experiments.filter { $0.status == .keep }
        if !kept.isEmpty {
            s += "  kept\(kept.count > keptShown ? " (the last \(keptShown) of \(kept.count))" : ""):\n"
            for e in kept.suffix(keptShown) {
                let head = "    #\(e.id) \(ReportFormat.score(e.avgScore)) \(ReportFormat.test(statistic: e.statistic, low: nil, high: nil, p: e.pValue))  "
                s += head + truncated(printable(e.description), max(20, width - head.count)) + "\n"
            }
        }
        return s
    }

    /// "N tried: a kept, b discarded, …" (running only when some are).
    public static func countsLine(_ c: OptimizeReport.Counts) -> String {
        var parts = ["\(c.kept) kept", "\(c.discarded) discarded", "\(c.rejected) rejected", "\(c.crashed) crashed"]
        if c.running > 0 { parts.append("\(c.running) running") }
        return "experiments \(c.tried) tried: " + parts.joined(separator: ", ")
    }

    /// Ledger text without control characters (escape sequences would drive the terminal), on one line.
    public static func printable(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { u in
            u == "\n" || u == "\t" ? " " : (u.value < 0x20 || (0x7F...0x9F).contains(u.value)) ? "\u{FFFD}" : u
        }))
    }

    static func truncated(_ s: String, _ limit: Int) -> String {
        s.count <= limit ? s : String(s.prefix(limit - 1)) + "…"
    }
}
