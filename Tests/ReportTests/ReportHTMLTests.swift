import AACore
import Foundation
import Testing

/// Occurrences of `needle` in `text`.
func occurrences(_ needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

/// The SVG element with the given id.
func svg(_ id: String, in page: String) -> String {
    guard let start = page.range(of: "<svg id=\"\(id)\""), let end = page.range(of: "</svg>", range: start.upperBound..<page.endIndex) else { return "" }
    return String(page[start.lowerBound..<end.upperBound])
}

@Suite struct ReportHTMLTests {
    func page(_ f: RunFixture) throws -> (OptimizeReport, String) {
        let report = try OptimizeReport.load(runDirectory: f.path)
        return (report, OptimizeReportHTML.render(report, generatedAt: "2026-11-27T12:00:00Z"))
    }

    @Test func scoreChartMarksEachExperimentByStatus() throws {
        let (_, html) = try page(RunFixture.small())
        let chart = svg("score-chart", in: html)
        #expect(occurrences("class=\"m-baseline\"", in: chart) == 1)
        #expect(occurrences("class=\"m-keep\"", in: chart) == 2)
        #expect(occurrences("class=\"m-discard\"", in: chart) == 1)
        #expect(occurrences("class=\"m-rejected\"", in: chart) == 1)
        #expect(occurrences("class=\"m-crash\"", in: chart) == 1)
        #expect(occurrences("class=\"m-validation\"", in: chart) == 3)
        #expect(chart.contains("<path id=\"running-best\""))
        #expect(chart.contains("<rect id=\"noise-band\""))
        #expect(chart.contains(">#1</text>") && chart.contains(">#5</text>"))
        #expect(chart.contains("experiment id") && chart.contains("search-panel score"))
        #expect(chart.contains("<title>#2 discard score 0.500 (parent 0.550), validation 0.490, p=0.400: an edit</title>"))
    }

    @Test func headerShowsTheHeadlineAndSpending() throws {
        let (_, html) = try page(RunFixture.small())
        #expect(html.contains("<h1>nightly &lt;b&gt;run&lt;/b&gt;</h1>"))
        #expect(html.contains("finished: experiment budget reached"))
        #expect(html.contains("0.400 → 0.600 <span class=\"up\">(+0.200)</span>"))
        #expect(html.contains("0.380 → 0.520"))
        #expect(html.contains("0.350 → 0.500"))
        #expect(html.contains("<dd>$1.31 of $10.00 (13%)</dd>"))
        #expect(html.contains("<dt>experiments finished</dt><dd>5 of 50 (10%)</dd>"))
        #expect(html.contains("<dd>search 4 · validation 2 · test 1</dd>"))
        #expect(html.contains("<span class=\"st st-keep\">2 kept</span>"))
        #expect(html.contains("<span class=\"st st-crash\">1 crashed</span>"))
        #expect(html.contains("Best harness: #5 (0000000): second kept edit"))
    }

    @Test func ledgerTextIsEscapedEverywhere() throws {
        let (_, html) = try page(RunFixture.small())
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>run"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt; | pipe"))
        // Self-contained: nothing fetched, nothing run.
        for tag in ["<script", "<img", "<iframe", "<link", "<object", "<embed"] { #expect(!html.contains(tag)) }
        #expect(occurrences("href=", in: html) == occurrences("href=\"#exp-", in: html))
        #expect(occurrences("http", in: html) == occurrences("xmlns=\"http://www.w3.org/2000/svg\"", in: html))
    }

    @Test func diffLinesAreColouredAndFolded() throws {
        let (_, html) = try page(RunFixture.small())
        #expect(occurrences("<details class=\"diff\"><summary>diff (+2 −1)</summary>", in: html) == 2)
        #expect(html.contains("<span class=\"del\">-Finish quickly.</span>"))
        #expect(html.contains("<span class=\"add\">+Before finishing, run the checks and read their output.</span>"))
        #expect(html.contains("<span class=\"add\">+&lt;script&gt;alert(&#39;diff&#39;)&lt;/script&gt;</span>"))
        #expect(html.contains("<span class=\"fh\">+++ b/system.md</span>"))
        #expect(html.contains("<span class=\"hunk\">@@ -1,3 +1,4 @@</span>"))
        #expect(html.contains("<span> You are a careful agent.</span>"))
        #expect(html.contains("per-task deltas (2 tasks: 1 up, 1 down)"))
    }

    @Test func experimentsTableHasOneRowPerExperiment() throws {
        let (_, html) = try page(RunFixture.small())
        for id in 0...5 { #expect(html.contains("<tr id=\"exp-\(id)\"")) }
        #expect(html.contains("<td class=\"n\">0.550 vs 0.400<br><small>6 of 12 passed</small></td><td class=\"n\">+0.150 [+0.130, +0.170]<br><small>p=0.004</small></td>"))
        #expect(html.contains("<span class=\"st st-rejected\">rejected</span>"))
    }

    @Test func allRejectedKeepsTheBaselineAsBest() throws {
        let f = try RunFixture()
        try f.add(0, .baseline, score: 0.4, validation: 0.4, minutes: 2, modes: ["loop": 2])
        for id in 1...6 { try f.add(id, .rejected, cost: 0.01, minutes: 2 + Double(id), description: "edit \(id) names task a") }
        let (report, html) = try page(f)
        #expect(report.counts.rejected == 6)
        #expect(html.contains("No experiment was kept: the baseline is still the best harness."))
        #expect(occurrences("class=\"m-rejected\"", in: svg("score-chart", in: html)) == 6)
        #expect(html.contains("No experiment kept so far."))
    }

    @Test func aScoreOnAnotherPanelIsNotPlottedAsSearch() throws {
        let f = try RunFixture()
        try f.add(0, .baseline, score: 0.4, minutes: 1)
        var spot = try f.add(1, .discard, score: 0.9, parent: 0.4, minutes: 2)
        spot.panel = "spot"
        try f.ledger.update(spot)
        let (_, html) = try page(f)
        let chart = svg("score-chart", in: html)
        #expect(chart.contains("<title>#1 discard score 0.900 on the spot panel (parent 0.400)"))
        // In the lane, not at y = 0.9 (the plot's range stays around the baseline).
        #expect(!chart.contains(">0.9</text>"))
    }

    @Test func aRunningRunSaysSo() throws {
        let f = try RunFixture(state: "running", info: ["stop_reason": "experiment budget reached (6 of 6)"])
        // A local model without prices: tokens but no dollars.
        try f.add(0, .baseline, score: 0.4, cost: 0, minutes: 2)
        try f.add(1, .running, cost: 0, minutes: 4)
        let (report, html) = try page(f)
        #expect(html.contains("The run is still in progress"))
        // A resumed run still carries its last stop reason; it no longer applies.
        #expect(html.contains("<p class=\"sub\">running · ") && !html.contains("6 of 6"))
        #expect(occurrences("class=\"m-running\"", in: svg("score-chart", in: html)) == 1)
        #expect(report.cost.map(\.id) == [0])
        #expect(html.contains("No failure-mode counts recorded."))
        #expect(!html.contains("<svg id=\"cost-chart\"") && html.contains("<svg id=\"tokens-chart\""))
        #expect(html.contains("No dollar cost was recorded"))
    }

    @Test func nullColumnsAndMissingRunInfoRenderAsDashes() throws {
        let f = try RunFixture(info: ["budgets": "not json", "panels": "", "alpha": "x"])
        try f.add(0, .baseline, minutes: 1)
        try f.add(1, .discard, minutes: 2)
        try f.add(2, .keep, minutes: 3)
        let (report, html) = try page(f)
        #expect(report.headline.search.baseline == nil && report.headline.search.delta == nil)
        #expect(report.spending.usd.cap == nil)
        #expect(html.contains("<dd>search – · validation – · test –</dd>"))
        #expect(html.contains("– → –"))
        // Unscored experiments of any status go to the no-score lane; no running best, no noise band without a baseline score.
        let chart = svg("score-chart", in: html)
        #expect(occurrences("class=\"m-", in: chart) == 3)
        #expect(!chart.contains("running-best") && !chart.contains("noise-band"))
        #expect(html.contains("<td class=\"n\">– vs –</td><td class=\"n\">–</td>"))
        #expect(html.range(of: #"\b(nan|inf)\b"#, options: .regularExpression) == nil)
    }

    @Test func anEmptyLedgerSaysSo() throws {
        let f = try RunFixture()
        let (_, html) = try page(f)
        #expect(html.contains("No experiment recorded yet."))
        #expect(html.contains("The baseline has not been recorded yet."))
        #expect(!html.contains("<svg id=\"score-chart\""))
    }

    @Test func twoHundredExperimentsStayReadable() throws {
        let f = try RunFixture()
        try f.add(0, .baseline, score: 0.3, minutes: 1)
        var best = 0.3
        for id in 1...200 {
            let status: ExperimentStatus = id % 4 == 0 ? .keep : id % 13 == 0 ? .rejected : id % 17 == 0 ? .crash : .discard
            let score = status == .keep ? best + 0.003 : best - Double(id % 5) * 0.01
            let scored = status != .rejected && status != .crash
            try f.add(id, status, score: scored ? score : nil, parent: best, minutes: 1 + Double(id) * 3,
                      modes: scored ? ["m\(id % 8)": id % 4 + 1] : [:], description: String(repeating: "a long description ", count: 30))
            if status == .keep { best = score }
        }
        let (report, html) = try page(f)
        let chart = svg("score-chart", in: html)
        #expect(occurrences("class=\"m-keep\"", in: chart) == report.counts.kept)
        #expect(occurrences("class=\"m-discard\"", in: chart) == report.counts.discarded)
        // Marks shrink with density.
        let radii = chart.components(separatedBy: "class=\"m-discard\" ").dropFirst().compactMap { part -> Double? in
            guard let r = part.range(of: "r=\"") else { return nil }
            return Double(part[r.upperBound...].prefix { $0 != "\"" })
        }
        #expect(radii.count == report.counts.discarded && radii.allSatisfy { $0 <= 2 })
        // Kept labels never overlap (about 6.5 px a character).
        let labels = chart.components(separatedBy: "class=\"keep-label\" x=\"").dropFirst().compactMap { part -> (Double, Int)? in
            guard let x = Double(part.prefix { $0 != "\"" }), let open = part.firstIndex(of: ">"), let close = part.firstIndex(of: "<") else { return nil }
            return (x, part.distance(from: open, to: close) - 1)
        }
        #expect(labels.count > 5 && labels.count < report.counts.kept)
        let gaps: [Double] = zip(labels, labels.dropFirst()).map { a, b in
            let room: Double = Double(a.1 + b.1) * 3.25 + 4
            return b.0 - a.0 - room
        }
        #expect(gaps.allSatisfy { $0 >= -0.1 })
        #expect(occurrences("<rect class=\"fm\"", in: svg("failure-chart", in: html)) == 200 - report.counts.rejected - report.counts.crashed)
    }
}
