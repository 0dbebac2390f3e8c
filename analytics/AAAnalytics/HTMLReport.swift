import Foundation

/// A self-contained HTML report for people: summary, charts as inline SVG (reward per task,
/// failure modes by task, where in the run failures happen), and every cluster with evidence.
public enum HTMLReport {
    /// Most tasks drawn in the per-task charts (the worst first); the rest are counted in a note.
    public static let chartTasks = 40

    public static func render(_ a: FailureAnalysis, comparison: AnalysisComparison? = nil) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>AutoAgent failure report</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
        h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px;margin-bottom:4px}
        table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
        .cluster{border:1px solid #ccc;border-radius:6px;padding:8px 12px;margin:10px 0}
        .lever{background:#eef6ee;padding:4px 8px;border-radius:4px}
        pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;font-size:12px;max-height:200px;overflow:auto}
        .legend span{display:inline-block;margin-right:12px;font-size:12px}
        .sw{display:inline-block;width:10px;height:10px;margin-right:4px}
        </style></head><body>
        <h1>Failure report</h1>

        """
        h += "<p>Jobs: \(esc(a.jobs.joined(separator: ", "))). Trials: \(a.trials), failed: \(a.failedTrials)"
        if let m = a.meanReward { h += ", mean reward \(String(format: "%.3f", m))" }
        h += ", reward lost \(String(format: "%.2f", a.rewardLost)).</p>\n"
        if !a.problems.isEmpty {
            h += "<details><summary>\(a.problems.count) input problems</summary><pre>\(esc(a.problems.prefix(200).joined(separator: "\n")))</pre></details>\n"
        }
        h += "<h2>Reward per task</h2>\n" + rewardChart(a)
        h += "<h2>Failure modes by task</h2>\n" + modesChart(a)
        h += "<h2>Where in the run failures happen</h2>\n<p>Failed trials by the share of the run completed when they lost direction.</p>\n" + positionChart(a)
        if let comparison { h += compareTable(comparison) }
        h += "<h2>Clusters by impact</h2>\n"
        for (rank, c) in a.clusters.enumerated() {
            h += "<div class=\"cluster\"><h3>\(rank + 1). \(esc(c.name))</h3>\n"
            h += "<p>\(esc(c.description)) <b>\(c.failedTrials)</b> failed trials (\(String(format: "%.0f", c.share * 100))% of failures), reward lost \(String(format: "%.2f", c.rewardLost)), \(c.tasks.count) tasks"
            if let m = c.medianStep { h += ", median lost-direction step \(String(format: "%.1f", m))" }
            h += ".</p>\n<p class=\"lever\">Lever: \(esc(c.lever))</p>\n"
            for e in c.evidence {
                h += "<p>\(esc(e.trial)) (\(esc(e.task)))\(e.step.map { ", step \($0)" } ?? "")</p>"
                if let command = e.command { h += "<pre>$ \(esc(command))</pre>" }
                if let output = e.output { h += "<pre>\(esc(output))</pre>" }
                h += "\n"
            }
            h += "<details><summary>All \(c.members.count) trials</summary><table><tr><th>trial</th><th>task</th><th>job</th><th>reward</th><th>step N</th><th>steps</th></tr>\n"
            for m in c.members {
                h += "<tr><td>\(esc(m.trial))</td><td>\(esc(m.task))</td><td>\(esc(m.job))</td><td>\(m.reward.map { String(format: "%.2f", $0) } ?? "–")</td><td>\(m.step.map(String.init) ?? "–")</td><td>\(m.stepCount)</td></tr>\n"
            }
            h += "</table></details></div>\n"
        }
        return h + "</body></html>\n"
    }

    static let colors = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcbd22",
                         "#008080", "#9a6324", "#800000", "#808000", "#000075", "#808080"]

    static func color(_ kind: FailureKind) -> String {
        colors[FailureKind.allCases.firstIndex(of: kind)! % colors.count]
    }

    /// Tasks worst first (lowest mean reward, then most failures), capped.
    static func chartedTasks(_ a: FailureAnalysis) -> ([FailureAnalysis.TaskSummary], Int) {
        let sorted = a.tasks.sorted { ($0.meanReward ?? -1, $1.trials - $1.succeeded, $0.task) < ($1.meanReward ?? -1, $0.trials - $0.succeeded, $1.task) }
        return (Array(sorted.prefix(chartTasks)), max(0, sorted.count - chartTasks))
    }

    static func rewardChart(_ a: FailureAnalysis) -> String {
        let (tasks, hidden) = chartedTasks(a)
        let row = 18, left = 220, width = 420
        var s = "<svg id=\"reward-per-task\" width=\"\(left + width + 60)\" height=\"\(tasks.count * row + 30)\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\n"
        for (i, t) in tasks.enumerated() {
            let y = i * row + 4
            let w = Int((t.meanReward ?? 0) * Double(width))
            s += "<text x=\"\(left - 6)\" y=\"\(y + 12)\" text-anchor=\"end\">\(esc(TextExcerpt.bounded(t.task, limit: 34)))</text>"
            s += "<rect x=\"\(left)\" y=\"\(y)\" width=\"\(max(w, 1))\" height=\"\(row - 4)\" fill=\"#4363d8\"/>"
            s += "<text x=\"\(left + max(w, 1) + 4)\" y=\"\(y + 12)\">\(t.meanReward.map { String(format: "%.2f", $0) } ?? "no reward") (\(t.succeeded)/\(t.trials))</text>\n"
        }
        let axis = tasks.count * row + 8
        s += "<line x1=\"\(left)\" y1=\"\(axis)\" x2=\"\(left + width)\" y2=\"\(axis)\" stroke=\"#999\"/>"
        s += "<text x=\"\(left)\" y=\"\(axis + 14)\">0</text><text x=\"\(left + width)\" y=\"\(axis + 14)\" text-anchor=\"end\">1</text></svg>\n"
        return s + (hidden > 0 ? "<p>\(hidden) more tasks not drawn.</p>\n" : "")
    }

    static func modesChart(_ a: FailureAnalysis) -> String {
        let (all, hidden) = chartedTasks(a)
        let tasks = all.filter { !$0.failures.isEmpty }
        let maxFailed = max(1, tasks.map { $0.failures.values.reduce(0, +) }.max() ?? 1)
        let row = 18, left = 220, width = 420
        let used = FailureKind.allCases.filter { k in tasks.contains { $0.failures[k.rawValue] != nil } }
        var s = "<div class=\"legend\">" + used.map { "<span><i class=\"sw\" style=\"background:\(color($0))\"></i>\(esc($0.title))</span>" }.joined() + "</div>\n"
        s += "<svg id=\"modes-by-task\" width=\"\(left + width + 60)\" height=\"\(tasks.count * row + 10)\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\n"
        for (i, t) in tasks.enumerated() {
            let y = i * row + 4
            s += "<text x=\"\(left - 6)\" y=\"\(y + 12)\" text-anchor=\"end\">\(esc(TextExcerpt.bounded(t.task, limit: 34)))</text>"
            var x = left
            for kind in used {
                guard let n = t.failures[kind.rawValue] else { continue }
                let w = max(1, n * width / maxFailed)
                s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"\(row - 4)\" fill=\"\(color(kind))\"><title>\(esc(kind.title)): \(n)</title></rect>"
                x += w
            }
            s += "<text x=\"\(x + 4)\" y=\"\(y + 12)\">\(t.failures.values.reduce(0, +))</text>\n"
        }
        s += "</svg>\n"
        if tasks.isEmpty { s += "<p>No failed trials.</p>\n" }
        return s + (hidden > 0 ? "<p>\(hidden) more tasks not drawn.</p>\n" : "")
    }

    static func positionChart(_ a: FailureAnalysis) -> String {
        let maxCount = max(1, a.lossPositions.max() ?? 1)
        let bar = 60, height = 160, top = 20
        var s = "<svg id=\"loss-positions\" width=\"\(a.lossPositions.count * (bar + 8) + 40)\" height=\"\(height + top + 30)\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\n"
        for (i, n) in a.lossPositions.enumerated() {
            let h = n * height / maxCount
            let x = 20 + i * (bar + 8)
            s += "<rect x=\"\(x)\" y=\"\(top + height - h)\" width=\"\(bar)\" height=\"\(max(h, 0))\" fill=\"#f58231\"/>"
            s += "<text x=\"\(x + bar / 2)\" y=\"\(top + height - h - 4)\" text-anchor=\"middle\">\(n)</text>"
            s += "<text x=\"\(x + bar / 2)\" y=\"\(top + height + 16)\" text-anchor=\"middle\">\(i * 10)–\((i + 1) * 10)%</text>\n"
        }
        return s + "</svg>\n"
    }

    static func compareTable(_ c: AnalysisComparison) -> String {
        var s = "<h2>Compared with \(esc(c.baselineJobs.joined(separator: ", ")))</h2>\n"
        s += "<p>Failed trials \(c.baselineFailed) → \(c.currentFailed).</p>\n<table><tr><th>cluster</th><th>before</th><th>after</th><th>change</th></tr>\n"
        for r in c.rows {
            s += "<tr><td>\(esc(r.name))</td><td>\(r.before)</td><td>\(r.after)</td><td>\(r.after > r.before ? "+" : "")\(r.after - r.before)</td></tr>\n"
        }
        return s + "</table>\n"
    }

    static func esc(_ s: String) -> String { htmlEscape(s) }
}
