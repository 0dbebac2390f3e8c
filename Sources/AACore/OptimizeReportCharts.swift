import AAAnalytics
import Foundation

/// The optimize report's charts as inline SVG: score per experiment, cumulative cost, failure modes per experiment.
enum OptimizeReportCharts {
    static let width = 1100.0
    static let left = 64.0
    static let right = 24.0

    static func statusColor(_ s: ExperimentStatus) -> String {
        switch s {
        case .baseline: "#1d3557"
        case .keep: "#2a9d3f"
        case .discard: "#9e9e9e"
        case .rejected: "#d62728"
        case .crash: "#e67e00"
        case .running: "#1f77b4"
        }
    }

    static let validationColor = "#7b3fb5"
    static let bestColor = "#1b6e2d"
    static let modePalette = ["#4363d8", "#f58231", "#911eb4", "#42b4c8", "#e6194b", "#9a6324"]
    static let otherModeColor = "#c8c8c8"

    /// The colour of a failure mode, the same wherever the page shows it.
    static func modeColor(_ mode: String, top: [String]) -> String {
        top.firstIndex(of: mode).map { modePalette[$0 % modePalette.count] } ?? otherModeColor
    }

    /// The x axis shared by the score and failure charts, so an experiment sits at the same x in both.
    static func idAxis(_ report: OptimizeReport) -> ChartAxis {
        let ids = report.points.map { Double($0.id) }
        return ChartAxis(lower: (ids.min() ?? 0) - 0.5, upper: (ids.max() ?? 0) + 0.5, start: left, end: width - right)
    }

    /// Mark radius: smaller as experiments get denser, so hundreds of them stay apart.
    static func markRadius(_ report: OptimizeReport) -> Double {
        let spacing = (width - left - right) / Double(max(1, report.points.count))
        return min(4.5, max(1.4, spacing * 0.35))
    }

    /// One mark of an experiment at (x, y) in its status's shape.
    static func mark(_ status: ExperimentStatus, x: Double, y: Double, r: Double, title: String) -> String {
        let c = statusColor(status)
        let t = "<title>\(htmlEscape(title))</title>"
        switch status {
        case .baseline:
            let d = r + 1.5
            return "<path class=\"m-baseline\" d=\"M\(px(x)) \(px(y - d))L\(px(x + d)) \(px(y))L\(px(x)) \(px(y + d))L\(px(x - d)) \(px(y))Z\" fill=\"\(c)\">\(t)</path>"
        case .keep:
            return "<circle class=\"m-keep\" cx=\"\(px(x))\" cy=\"\(px(y))\" r=\"\(px(r + 0.5))\" fill=\"\(c)\" stroke=\"#fff\" stroke-width=\"0.6\">\(t)</circle>"
        case .discard:
            return "<circle class=\"m-discard\" cx=\"\(px(x))\" cy=\"\(px(y))\" r=\"\(px(r))\" fill=\"\(c)\" fill-opacity=\"0.55\">\(t)</circle>"
        case .running:
            return "<circle class=\"m-running\" cx=\"\(px(x))\" cy=\"\(px(y))\" r=\"\(px(r))\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.2\">\(t)</circle>"
        case .rejected:
            let d = max(1.8, r)
            return "<path class=\"m-rejected\" d=\"M\(px(x - d)) \(px(y - d))L\(px(x + d)) \(px(y + d))M\(px(x - d)) \(px(y + d))L\(px(x + d)) \(px(y - d))\" stroke=\"\(c)\" stroke-width=\"1.4\">\(t)</path>"
        case .crash:
            let d = max(2, r + 0.5)
            return "<path class=\"m-crash\" d=\"M\(px(x)) \(px(y - d))L\(px(x + d)) \(px(y + d * 0.8))L\(px(x - d)) \(px(y + d * 0.8))Z\" fill=\"\(c)\">\(t)</path>"
        }
    }

    /// A small legend entry drawn with the same mark as the chart.
    static func legendMark(_ status: ExperimentStatus, label: String) -> String {
        "<span><svg width=\"14\" height=\"14\">\(mark(status, x: 7, y: 7, r: 4, title: label))</svg>\(htmlEscape(label))</span>"
    }

    static func tooltip(_ r: ExperimentRecord) -> String {
        var s = "#\(r.id) \(r.status.rawValue)"
        if let score = r.avgScore { s += " score \(ReportFormat.score(score))" + (r.panel == "search" || r.panel.isEmpty ? "" : " on the \(r.panel) panel") }
        if let parent = r.parentScore { s += " (parent \(ReportFormat.score(parent)))" }
        if let v = r.validationScore { s += ", validation \(ReportFormat.score(v))" }
        if r.pValue != nil { s += ", p=\(ReportFormat.pValue(r.pValue))" }
        let description = r.description.count > 160 ? String(r.description.prefix(160)) + "…" : r.description
        return s + ": " + description
    }

    /// Experiments with a usable search-panel score sit in the plot; rejected, crashed, unscored ones and scores
    /// on another panel in the lane below.
    static func plotted(_ r: ExperimentRecord) -> Bool {
        r.avgScore.map(\.isFinite) == true && r.status != .rejected && r.status != .crash && (r.panel == "search" || r.panel.isEmpty)
    }

    // MARK: score per experiment

    static func scoreChart(_ report: OptimizeReport) -> String {
        let height = 400.0, top = 14.0, plotBottom = 312.0, lane = 330.0, axisY = 344.0
        let x = idAxis(report)
        let r = markRadius(report)
        let plottedRecords = report.experiments.filter(plotted)
        var values = plottedRecords.compactMap(\.avgScore)
        values += report.experiments.filter { $0.status == .keep || $0.status == .baseline }.compactMap(\.validationScore)
        if let band = report.noiseBand { values += [band.lowerBound, band.upperBound] }
        let (lo, hi) = ChartAxis.scoreRange(values)
        // A few pixels inside the frame, so marks at the extremes are not drawn on the axis.
        let y = ChartAxis(lower: lo, upper: hi, start: plotBottom - 6, end: top + 4)

        var s = "<svg id=\"score-chart\" class=\"chart\" viewBox=\"0 0 \(px(width)) \(px(height))\" width=\"\(px(width))\" height=\"\(px(height))\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" font-family=\"system-ui,sans-serif\">\n"
        for t in y.ticks(6) {
            s += "<line x1=\"\(px(left))\" x2=\"\(px(width - right))\" y1=\"\(px(y(t)))\" y2=\"\(px(y(t)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(px(left - 6))\" y=\"\(px(y(t) + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
        }
        if let band = report.noiseBand, let base = report.headline.search.baseline {
            let y0 = y(min(hi, band.upperBound)), y1 = y(max(lo, band.lowerBound))
            s += "<rect id=\"noise-band\" x=\"\(px(left))\" y=\"\(px(y0))\" width=\"\(px(width - left - right))\" height=\"\(px(max(0.5, y1 - y0)))\" fill=\"#1d3557\" fill-opacity=\"0.09\"><title>baseline \(ReportFormat.score(base)) ± noise floor \(ReportFormat.score(report.noiseFloor))</title></rect>"
            s += "<line x1=\"\(px(left))\" x2=\"\(px(width - right))\" y1=\"\(px(y(base)))\" y2=\"\(px(y(base)))\" stroke=\"#1d3557\" stroke-opacity=\"0.35\" stroke-dasharray=\"4 3\"/>\n"
        }

        // The running best: a step line through the score of the harness in force.
        var path = ""
        var last: Double?
        for p in report.points {
            guard let b = p.runningBest else { continue }
            let xs = x(Double(p.id))
            if last == nil { path += "M\(px(xs)) \(px(y(b)))" } else if last != b { path += "H\(px(xs))V\(px(y(b)))" }
            last = b
        }
        if !path.isEmpty {
            s += "<path id=\"running-best\" d=\"\(path)H\(px(x.end))\" fill=\"none\" stroke=\"\(bestColor)\" stroke-width=\"1.6\"/>\n"
        }

        // Validation scores of the baseline and kept experiments, joined by a dashed line.
        let validated = report.experiments.filter { ($0.status == .keep || $0.status == .baseline) && $0.validationScore?.isFinite == true }
        if validated.count > 1 {
            let d = validated.enumerated().map { i, e in "\(i == 0 ? "M" : "L")\(px(x(Double(e.id)))) \(px(y(e.validationScore!)))" }.joined()
            s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(validationColor)\" stroke-width=\"1\" stroke-dasharray=\"3 3\" stroke-opacity=\"0.7\"/>\n"
        }
        let vs = max(2.5, r)
        for e in validated {
            let cx = x(Double(e.id)), cy = y(e.validationScore!)
            s += "<rect class=\"m-validation\" x=\"\(px(cx - vs))\" y=\"\(px(cy - vs))\" width=\"\(px(2 * vs))\" height=\"\(px(2 * vs))\" fill=\"none\" stroke=\"\(validationColor)\" stroke-width=\"1.3\"><title>#\(e.id) validation \(ReportFormat.score(e.validationScore))</title></rect>"
        }

        // Discarded first, kept and baseline last, so the marks that matter are on top.
        let order: [ExperimentStatus] = [.discard, .running, .rejected, .crash, .baseline, .keep]
        for status in order {
            for e in report.experiments where e.status == status {
                let cx = x(Double(e.id))
                let cy = plotted(e) ? y(e.avgScore!) : lane
                s += "<a href=\"#exp-\(e.id)\">" + mark(e.status, x: cx, y: cy, r: r, title: tooltip(e)) + "</a>"
            }
            s += "\n"
        }

        // Ids above kept marks, skipped where they would overlap the previous label (about 6.5 px a character).
        var lastRight = -Double.infinity
        for e in report.experiments where e.status == .keep && plotted(e) {
            let cx = x(Double(e.id))
            let half = Double("#\(e.id)".count) * 3.25
            guard cx - half >= lastRight + 4 else { continue }
            lastRight = cx + half
            s += "<text class=\"keep-label\" x=\"\(px(cx))\" y=\"\(px(y(e.avgScore!) - r - 4))\" text-anchor=\"middle\" fill=\"\(bestColor)\">#\(e.id)</text>"
        }

        s += frame(left: left, right: width - right, top: top, bottom: plotBottom, xTitleY: axisY + 34,
                   xTitle: "experiment id", yTitle: "search-panel score")
        s += "<text x=\"\(px(left - 6))\" y=\"\(px(lane + 4))\" text-anchor=\"end\" fill=\"#666\">no score</text>"
        s += "<line x1=\"\(px(left))\" x2=\"\(px(width - right))\" y1=\"\(px(axisY))\" y2=\"\(px(axisY))\" stroke=\"#888\"/>\n"
        s += xTicks(x, axisY: axisY)
        return s + "</svg>\n"
    }

    /// The left and bottom axis lines of a plot area and its two axis titles.
    static func frame(left: Double, right: Double, top: Double, bottom: Double, xTitleY: Double, xTitle: String, yTitle: String) -> String {
        "<line x1=\"\(px(left))\" x2=\"\(px(left))\" y1=\"\(px(top))\" y2=\"\(px(bottom))\" stroke=\"#888\"/>"
            + "<line x1=\"\(px(left))\" x2=\"\(px(right))\" y1=\"\(px(bottom))\" y2=\"\(px(bottom))\" stroke=\"#888\"/>\n"
            + "<text x=\"\(px((left + right) / 2))\" y=\"\(px(xTitleY))\" text-anchor=\"middle\">\(htmlEscape(xTitle))</text>"
            + "<text transform=\"translate(16 \(px((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(htmlEscape(yTitle))</text>\n"
    }

    static func xTicks(_ x: ChartAxis, axisY: Double) -> String {
        var s = ""
        let span = x.upper - x.lower
        for t in ChartAxis(lower: x.lower + 0.5, upper: x.upper - 0.5, start: 0, end: 1).ticks(min(12, max(1, Int(span))), integers: true) {
            s += "<line x1=\"\(px(x(t)))\" x2=\"\(px(x(t)))\" y1=\"\(px(axisY))\" y2=\"\(px(axisY + 4))\" stroke=\"#888\"/>"
            s += "<text x=\"\(px(x(t)))\" y=\"\(px(axisY + 16))\" text-anchor=\"middle\">\(tickLabel(t))</text>"
        }
        return s + "\n"
    }

    // MARK: cost over time

    /// Cumulative dollars (or tokens) against wall-clock time since the run started, with the cap when it is near.
    static func costChart(_ report: OptimizeReport, tokens: Bool) -> String {
        let w = 540.0, h = 260.0, l = 64.0, r = 16.0, top = 14.0, bottom = 206.0
        let points = report.cost
        let value: (OptimizeReport.CostPoint) -> Double = tokens ? { Double($0.cumulativeTokens) } : { $0.cumulativeUSD }
        let maxValue = points.map(value).max() ?? 0
        let cap = tokens ? report.spending.tokens.cap.map(Double.init) : report.spending.usd.cap
        let drawnCap = cap.flatMap { $0 <= max(maxValue, 1e-9) * 1.6 ? $0 : nil }
        let maxT = max(1, points.map(\.elapsedSeconds).max() ?? 1)
        let (unit, unitName) = maxT >= 7200 ? (3600.0, "hours") : maxT >= 120 ? (60.0, "minutes") : (1.0, "seconds")
        let x = ChartAxis(lower: 0, upper: maxT / unit, start: l, end: w - r)
        let upper = max(maxValue, drawnCap ?? 0, tokens ? 1 : 0.01) * 1.05
        let yStep = ChartAxis.niceStep(upper / 5)
        let y = ChartAxis(lower: 0, upper: (upper / yStep).rounded(.up) * yStep, start: bottom, end: top)
        let id = tokens ? "tokens-chart" : "cost-chart"
        var s = "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(px(w)) \(px(h))\" width=\"\(px(w))\" height=\"\(px(h))\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" font-family=\"system-ui,sans-serif\">\n"
        for t in y.ticks(5) {
            s += "<line x1=\"\(px(l))\" x2=\"\(px(w - r))\" y1=\"\(px(y(t)))\" y2=\"\(px(y(t)))\" stroke=\"#eee\"/>"
            let label = tokens ? ReportFormat.tokens(Int(t)) : (yStep < 0.01 ? String(format: "$%.3f", t) : yStep < 1 ? String(format: "$%.2f", t) : "$" + tickLabel(t))
            s += "<text x=\"\(px(l - 6))\" y=\"\(px(y(t) + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        for t in x.ticks(6) {
            s += "<line x1=\"\(px(x(t)))\" x2=\"\(px(x(t)))\" y1=\"\(px(bottom))\" y2=\"\(px(bottom + 4))\" stroke=\"#888\"/>"
            s += "<text x=\"\(px(x(t)))\" y=\"\(px(bottom + 16))\" text-anchor=\"middle\">\(tickLabel(t))</text>"
        }
        if let drawnCap {
            s += "<line class=\"cap\" x1=\"\(px(l))\" x2=\"\(px(w - r))\" y1=\"\(px(y(drawnCap)))\" y2=\"\(px(y(drawnCap)))\" stroke=\"#d62728\" stroke-dasharray=\"6 4\"/>"
            s += "<text x=\"\(px(w - r - 4))\" y=\"\(px(y(drawnCap) - 4))\" text-anchor=\"end\" fill=\"#d62728\">cap</text>\n"
        }
        if !points.isEmpty {
            var d = "M\(px(x(0))) \(px(y(0)))"
            for p in points { d += "H\(px(x(p.elapsedSeconds / unit)))V\(px(y(value(p))))" }
            s += "<path d=\"\(d)\" fill=\"none\" stroke=\"#4363d8\" stroke-width=\"1.6\"/>\n"
            let dot = points.count > 150 ? 1.2 : 2.2
            for p in points {
                let label = tokens ? ReportFormat.tokens(p.cumulativeTokens) : ReportFormat.usd(p.cumulativeUSD)
                s += "<circle cx=\"\(px(x(p.elapsedSeconds / unit)))\" cy=\"\(px(y(value(p))))\" r=\"\(px(dot))\" fill=\"#4363d8\"><title>after #\(p.id): \(label)</title></circle>"
            }
        }
        s += frame(left: l, right: w - r, top: top, bottom: bottom, xTitleY: bottom + 36,
                   xTitle: "\(unitName) since the run started", yTitle: tokens ? "tokens (cumulative)" : "dollars (cumulative)")
        return s + "</svg>\n"
    }

    // MARK: failure modes over time

    static func failureChart(_ report: OptimizeReport) -> String {
        let height = 250.0, top = 12.0, bottom = 196.0
        let x = idAxis(report)
        let modes = report.topModes + [OptimizeReport.otherMode]
        let maxTotal = Double(report.failures.map { $0.counts.values.reduce(0, +) }.max() ?? 0)
        let yStep = ChartAxis.niceStep(max(1, maxTotal) / 4).rounded(.up)
        let y = ChartAxis(lower: 0, upper: max(1, (maxTotal / yStep).rounded(.up) * yStep), start: bottom, end: top)
        let barWidth = max(1, min(14, (x.end - x.start) / max(1, x.upper - x.lower) * 0.7))
        var s = "<svg id=\"failure-chart\" class=\"chart\" viewBox=\"0 0 \(px(width)) \(px(height))\" width=\"\(px(width))\" height=\"\(px(height))\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" font-family=\"system-ui,sans-serif\">\n"
        for t in y.ticks(4, integers: true) {
            s += "<line x1=\"\(px(left))\" x2=\"\(px(width - right))\" y1=\"\(px(y(t)))\" y2=\"\(px(y(t)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(px(left - 6))\" y=\"\(px(y(t) + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
        }
        for f in report.failures {
            var base = 0
            let cx = x(Double(f.id))
            for mode in modes {
                guard let n = f.counts[mode], n > 0 else { continue }
                let y0 = y(Double(base + n)), y1 = y(Double(base))
                s += "<rect class=\"fm\" x=\"\(px(cx - barWidth / 2))\" y=\"\(px(y0))\" width=\"\(px(barWidth))\" height=\"\(px(y1 - y0))\" fill=\"\(modeColor(mode, top: report.topModes))\"><title>#\(f.id) \(htmlEscape(mode)): \(n) failed trials</title></rect>"
                base += n
            }
            s += "\n"
        }
        s += frame(left: left, right: width - right, top: top, bottom: bottom, xTitleY: bottom + 34,
                   xTitle: "experiment id", yTitle: "failed trials")
        s += xTicks(x, axisY: bottom)
        return s + "</svg>\n"
    }

    /// Legend of the failure modes with their colours.
    static func modeLegend(_ report: OptimizeReport) -> String {
        var modes = report.topModes
        if report.failures.contains(where: { $0.counts[OptimizeReport.otherMode] != nil }) { modes.append(OptimizeReport.otherMode) }
        return "<div class=\"legend\">" + modes.map {
            "<span><i class=\"sw\" style=\"background:\(modeColor($0, top: report.topModes))\"></i>\(htmlEscape($0))</span>"
        }.joined() + "</div>\n"
    }
}
