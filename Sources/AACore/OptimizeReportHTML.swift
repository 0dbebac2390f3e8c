import AAAnalytics
import Foundation

/// The optimize report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.
public enum OptimizeReportHTML {
    /// Lines of one experiment's diff shown on the page; the rest are counted and left in its diff.patch.
    public static let diffLineLimit = 1500
    /// Kept experiments listed under the score chart unfolded; more are folded.
    public static let keptListOpen = 12

    public static func render(_ report: OptimizeReport, generatedAt: String) -> String {
        let title = report.run.name.isEmpty ? "optimize run" : report.run.name
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>AutoAgent report: \(htmlEscape(title))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:24px auto;color:#222;max-width:1180px;padding:0 12px}
        h1{font-size:22px;margin-bottom:4px;overflow-wrap:anywhere}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .sub{color:#555;margin-top:0}
        .meta{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:2px 14px;font-size:13px}
        .meta dt{color:#666}.meta dd{margin:0;overflow-wrap:anywhere}
        .cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}
        .card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;flex:1 1 0;min-width:180px;overflow-wrap:anywhere}
        .card b{display:block;font-size:12px;color:#666;font-weight:normal}.card .v{font-size:20px}
        .up{color:#1b7a30}.down{color:#b3261e}
        .banner{background:#e8f1fb;border:1px solid #b6d0ee;padding:6px 10px;border-radius:4px}
        .legend{font-size:12px;margin:6px 0}.legend span{display:inline-flex;align-items:center;gap:4px;margin-right:14px}
        .sw{display:inline-block;width:10px;height:10px}
        .st{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:11px}
        \(ExperimentStatus.allCases.map { ".st-\($0.rawValue){background:\(OptimizeReportCharts.statusColor($0))}" }.joined())
        table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
        th{background:#f4f4f4;position:sticky;top:0}
        td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
        td.desc{min-width:220px;max-width:340px;overflow-wrap:anywhere}.hyp{color:#666;font-size:11px;margin-top:2px}
        td.reason{min-width:170px;max-width:260px;overflow-wrap:anywhere;color:#444}
        tr.more td{background:#fafafa;border-top:none}
        details{margin:2px 0}summary{cursor:pointer;color:#345}
        pre.diff{font-size:11.5px;background:#f8f8f8;padding:6px;overflow:auto;max-height:480px;max-width:1080px;margin:4px 0}
        pre.diff span{display:block;white-space:pre}
        .add{background:#e6ffec;color:#116329}.del{background:#ffebe9;color:#82071e}.hunk{color:#0550ae;background:#f0f6ff}.fh{font-weight:bold;color:#444}
        .kept li{margin:2px 0;overflow-wrap:anywhere}.kept a{color:inherit}
        .charts2{display:flex;gap:20px;flex-wrap:wrap}
        svg.chart{max-width:100%;height:auto}
        .wide{overflow-x:auto}
        </style></head><body>

        """
        h += header(report, generatedAt: generatedAt)
        h += "<h2>Score per experiment</h2>\n"
        h += report.experiments.isEmpty ? "<p>No experiment recorded yet.</p>\n" : scoreSection(report)

        h += "<h2>Cost over time</h2>\n"
        if report.cost.isEmpty {
            h += "<p>No experiment has finished yet.</p>\n"
        } else {
            // A run on a model without a price list records no dollars: its dollar chart would be a flat line.
            let dollars = report.spending.usd.spent > 0 ? OptimizeReportCharts.costChart(report, tokens: false) : ""
            h += "<div class=\"charts2\">" + dollars + OptimizeReportCharts.costChart(report, tokens: true) + "</div>\n"
            if dollars.isEmpty { h += "<p>No dollar cost was recorded (a model without prices).</p>\n" }
            h += "<p>Task-model and meta-model spending, cumulated as experiments finish. Spent: \(ReportFormat.spend(report.spending.usd, ReportFormat.usd, share: { $0 / $1 })), "
            h += "\(ReportFormat.spend(report.spending.tokens, ReportFormat.tokens, share: { Double($0) / Double($1) })) tokens.</p>\n"
        }

        h += "<h2>Failure modes over time</h2>\n"
        if report.failures.isEmpty {
            h += "<p>No failure-mode counts recorded.</p>\n"
        } else {
            h += "<p>Failed search-panel trials of each experiment by failure mode (the \(report.topModes.count) most frequent of the run; the rest as “other”).</p>\n"
            h += OptimizeReportCharts.modeLegend(report) + OptimizeReportCharts.failureChart(report)
        }

        h += "<h2>Experiments</h2>\n" + experimentsTable(report)
        return h + "</body></html>\n"
    }

    /// The score chart with its legend and the list of kept experiments.
    static func scoreSection(_ report: OptimizeReport) -> String {
        var h = "<div class=\"legend\">"
        for (status, label) in [(ExperimentStatus.baseline, "baseline"), (.keep, "kept"), (.discard, "discarded"), (.running, "running"),
                                (.rejected, "rejected (no score)"), (.crash, "crashed (no score)")] {
            h += OptimizeReportCharts.legendMark(status, label: label)
        }
        h += "<span><svg width=\"22\" height=\"14\"><path d=\"M1 10H11V4H21\" fill=\"none\" stroke=\"\(OptimizeReportCharts.bestColor)\" stroke-width=\"1.6\"/></svg>running best (score of the harness in force)</span>"
        h += "<span><svg width=\"14\" height=\"14\"><rect x=\"3\" y=\"3\" width=\"8\" height=\"8\" fill=\"none\" stroke=\"\(OptimizeReportCharts.validationColor)\" stroke-width=\"1.3\"/></svg>validation score (baseline and kept)</span>"
        if report.noiseBand != nil {
            h += "<span><i class=\"sw\" style=\"background:rgba(29,53,87,.18)\"></i>baseline ± noise floor (\(ReportFormat.score(report.noiseFloor)))</span>"
        }
        return h + "</div>\n" + OptimizeReportCharts.scoreChart(report) + keptList(report)
    }

    static func header(_ report: OptimizeReport, generatedAt: String) -> String {
        let run = report.run
        var h = "<h1>\(htmlEscape(run.name.isEmpty ? "Optimize run" : run.name))</h1>\n"
        h += "<p class=\"sub\">\(htmlEscape(run.stateLine)) · report generated \(htmlEscape(generatedAt))</p>\n"
        if run.state == "running" || report.counts.running > 0 {
            h += "<p class=\"banner\">The run is still in progress: this page shows the experiments recorded so far (\(report.counts.running) running).</p>\n"
        }
        let panels = ["search", "validation", "test"].map { "\($0) \(run.panels[$0].map(String.init) ?? "–")" }.joined(separator: " · ")
        let spend = report.spending
        var rows: [(String, String)] = [
            ("suite", run.suite), ("harness", run.harnessSource), ("task model", run.taskModel), ("meta-model", run.metaModel),
            ("panels (tasks)", panels), ("started", run.startedAt),
            ("trials per task", run.trialsPerTask.map(String.init) ?? "–"), ("candidates per round", run.candidatesPerRound.map(String.init) ?? "–"),
            ("alpha", run.alpha.map { String(format: "%g", $0) } ?? "–"), ("seed", run.seed.isEmpty ? "–" : run.seed),
            ("noise floor", ReportFormat.score(report.noiseFloor)), ("experiments finished", ReportFormat.spend(spend.experiments, String.init, share: { Double($0) / Double($1) })),
            ("dollars", ReportFormat.spend(spend.usd, ReportFormat.usd, share: { $0 / $1 })),
            ("tokens", ReportFormat.spend(spend.tokens, ReportFormat.tokens, share: { Double($0) / Double($1) })),
            ("wall time (experiments)", ReportFormat.spend(spend.wallSeconds, ReportFormat.duration, share: { $0 / $1 })),
            ("elapsed", report.cost.last.map { ReportFormat.duration($0.elapsedSeconds) + " to the last finished experiment" } ?? "–"),
        ]
        if rows.count % 2 == 1 { rows.append(("", "")) }
        h += "<dl class=\"meta\">" + rows.map { "<dt>\(htmlEscape($0.0))</dt><dd>\(htmlEscape($0.1.isEmpty && !$0.0.isEmpty ? "–" : $0.1))</dd>" }.joined() + "</dl>\n"

        h += "<div class=\"cards\" id=\"headline\">"
        for (name, change) in [("search", report.headline.search), ("validation", report.headline.validation), ("test", report.headline.test)] {
            var v = "\(ReportFormat.score(change.baseline)) → \(ReportFormat.score(change.best))"
            if let d = change.delta { v += " <span class=\"\(d > 0 ? "up" : d < 0 ? "down" : "")\">(\(ReportFormat.delta(d)))</span>" }
            h += "<div class=\"card\"><b>\(name): baseline → best</b><span class=\"v\">\(v)</span></div>"
        }
        let c = report.counts
        h += "<div class=\"card\"><b>experiments</b><span class=\"v\">\(c.tried) tried</span><br>"
        h += [("keep", c.kept, "kept"), ("discard", c.discarded, "discarded"), ("rejected", c.rejected, "rejected"), ("crash", c.crashed, "crashed"), ("running", c.running, "running")]
            .filter { $0.1 > 0 || $0.0 != "running" }
            .map { "<span class=\"st st-\($0.0)\">\($0.1) \($0.2)</span>" }.joined(separator: " ")
        h += "</div></div>\n"
        if let best = report.best {
            let which = switch best.status {
            case .keep: "Best harness: #\(best.id)\(best.commitID.map { " (\(String($0.prefix(7))))" } ?? ""): \(best.description)"
            case .baseline: "No experiment was kept: the baseline is still the best harness."
            default: "The baseline is still being evaluated."
            }
            h += "<p id=\"best\">\(htmlEscape(which))</p>\n"
        } else {
            h += "<p id=\"best\">The baseline has not been recorded yet.</p>\n"
        }
        return h
    }

    static func keptList(_ report: OptimizeReport) -> String {
        let kept = report.experiments.filter { $0.status == .keep }
        guard !kept.isEmpty else { return "<p>No experiment kept so far.</p>\n" }
        var h = kept.count > keptListOpen ? "<details><summary>\(kept.count) kept experiments</summary>" : ""
        h += "<ul class=\"kept\">"
        for e in kept {
            let description = e.description.count > 160 ? String(e.description.prefix(160)) + "…" : e.description
            h += "<li><a href=\"#exp-\(e.id)\"><b>#\(e.id)</b></a> \(ReportFormat.score(e.avgScore)) (\(ReportFormat.test(statistic: e.statistic, low: e.ciLow, high: e.ciHigh, p: e.pValue))): \(htmlEscape(description))</li>"
        }
        return h + "</ul>" + (kept.count > keptListOpen ? "</details>" : "") + "\n"
    }

    static func experimentsTable(_ report: OptimizeReport) -> String {
        let headers = ["#", "round / cand.", "status", "description", "score vs parent", "Δ [interval] p", "noise floor",
                       "validation vs parent", "test", "cost", "tokens", "wall", "reason"]
        var h = "<div class=\"wide\"><table id=\"experiments\"><thead><tr>" + headers.map { "<th>\(htmlEscape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for e in report.experiments {
            h += "<tr id=\"exp-\(e.id)\" class=\"s-\(e.status.rawValue)\"><td class=\"n\">\(e.id)</td><td class=\"n\">\(e.round) / \(e.candidate)</td>"
            h += "<td><span class=\"st st-\(e.status.rawValue)\">\(e.status.rawValue)</span><br><small>\(htmlEscape(e.stage.rawValue))</small></td>"
            h += "<td class=\"desc\">\(htmlEscape(e.description))"
            if !e.hypothesis.isEmpty { h += "<div class=\"hyp\">\(htmlEscape(e.hypothesis))</div>" }
            h += "</td><td class=\"n\">\(ReportFormat.score(e.avgScore)) vs \(ReportFormat.score(e.parentScore))"
            if let passed = e.passed { h += "<br><small>\(passed) of \(e.trials) passed</small>" }
            h += "</td><td class=\"n\">\(ReportFormat.test(statistic: e.statistic, low: e.ciLow, high: e.ciHigh, p: nil))"
            if e.pValue != nil { h += "<br><small>p=\(ReportFormat.pValue(e.pValue))</small>" }
            h += "</td>"
            h += "<td class=\"n\">\(ReportFormat.score(e.noiseFloor))</td>"
            h += "<td class=\"n\">\(ReportFormat.score(e.validationScore)) vs \(ReportFormat.score(e.parentValidationScore))</td>"
            h += "<td class=\"n\">\(ReportFormat.score(e.testScore))</td><td class=\"n\">\(ReportFormat.usd(e.costUSD))</td>"
            h += "<td class=\"n\">\(ReportFormat.tokens(e.tokens))</td><td class=\"n\">\(ReportFormat.duration(e.wallSeconds))</td>"
            h += "<td class=\"reason\">\(htmlEscape(e.reason))</td></tr>\n"
            let more = details(e, report: report)
            if !more.isEmpty { h += "<tr class=\"more\"><td></td><td colspan=\"\(headers.count - 1)\">\(more)</td></tr>\n" }
        }
        return h + "</tbody></table></div>\n"
    }

    /// Per-task deltas, failure modes and the diff of one experiment, each folded.
    static func details(_ e: ExperimentRecord, report: OptimizeReport) -> String {
        var h = ""
        if !e.taskDeltas.isEmpty {
            let rows = e.taskDeltas.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            h += "<details class=\"tasks\"><summary>per-task deltas (\(rows.count) tasks: \(rows.filter { $0.value > 0 }.count) up, \(rows.filter { $0.value < 0 }.count) down)</summary><table><tr><th>task</th><th>score</th><th>Δ vs parent</th></tr>"
            for (task, d) in rows {
                h += "<tr><td>\(htmlEscape(task))</td><td class=\"n\">\(ReportFormat.score(e.taskScores[task]))</td><td class=\"n \(d > 0 ? "up" : d < 0 ? "down" : "")\">\(ReportFormat.delta(d))</td></tr>"
            }
            h += "</table></details>"
        }
        if !e.failureModes.isEmpty {
            let modes = e.failureModes.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            h += "<details class=\"modes\"><summary>failure modes (\(modes.map(\.value).reduce(0, +)) failed trials)</summary><div class=\"legend\">"
            h += modes.map { "<span><i class=\"sw\" style=\"background:\(OptimizeReportCharts.modeColor($0.key, top: report.topModes))\"></i>\(htmlEscape($0.key)): \($0.value)</span>" }.joined()
            h += "</div></details>"
        }
        if !e.diff.isEmpty { h += diffBlock(e.diff) }
        return h
    }

    /// A unified diff with added, removed, hunk and file-header lines marked, folded in a `<details>`.
    static func diffBlock(_ diff: String) -> String {
        let lines = diff.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        let body = lines.last == "" ? lines.dropLast() : lines[...]
        let added = body.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.count
        let removed = body.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.count
        var h = "<details class=\"diff\"><summary>diff (+\(added) −\(removed))</summary><pre class=\"diff\">"
        for line in body.prefix(diffLineLimit) {
            let cls: String
            if line.hasPrefix("+++") || line.hasPrefix("---") || line.hasPrefix("diff ") || line.hasPrefix("index ") { cls = "fh" }
            else if line.hasPrefix("+") { cls = "add" }
            else if line.hasPrefix("-") { cls = "del" }
            else if line.hasPrefix("@@") { cls = "hunk" }
            else { cls = "" }
            h += cls.isEmpty ? "<span>\(htmlEscape(String(line)))</span>" : "<span class=\"\(cls)\">\(htmlEscape(String(line)))</span>"
        }
        if body.count > diffLineLimit { h += "<span class=\"hunk\">… \(body.count - diffLineLimit) more lines in the experiment's diff.patch</span>" }
        return h + "</pre></details>"
    }
}
