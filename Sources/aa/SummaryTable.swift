import AACore
import Foundation

/// The closing table of a job: reward per task, pass rate, errors by type, time.
enum SummaryTable {
    static func render(_ result: JobResultRecord, jobDirectory: String, elapsed: Double, cancelled: Bool) -> String {
        let trials = result.trialResults
        let byTask = Dictionary(grouping: trials, by: \.taskName)
        var rows: [[String]] = [["task", "trials", "mean reward", "passed", "errors"]]
        for name in byTask.keys.sorted() {
            let group = byTask[name]!
            let mean = group.map(\.reward).reduce(0, +) / Double(group.count)
            let errors = Set(group.compactMap { $0.exceptionInfo?.exceptionType }).sorted().joined(separator: ",")
            rows.append([name, "\(group.count)", String(format: "%.3f", mean), "\(group.filter { $0.reward >= 1 }.count)",
                         errors.isEmpty ? "-" : errors])
        }
        var out = table(rows)
        let passed = trials.filter { $0.reward >= 1 }.count
        let mean = trials.isEmpty ? 0 : trials.map(\.reward).reduce(0, +) / Double(trials.count)
        out += "\n"
        out += String(format: "pass rate %d/%d (%.1f%%), mean reward %.3f", passed, trials.count,
                      trials.isEmpty ? 0 : 100 * Double(passed) / Double(trials.count), mean)
        out += ", \(trials.count) of \(result.nTotalTrials) trials done, \(result.stats.nRetries) retries, "
        out += "time \(ProgressDisplay.duration(elapsed))\n"
        var errorCounts: [String: Int] = [:]
        for t in trials { if let e = t.exceptionInfo { errorCounts[e.exceptionType, default: 0] += 1 } }
        if !errorCounts.isEmpty {
            out += "errors: " + errorCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
            var shown = Set<String>()
            for t in trials.sorted(by: { $0.trialName < $1.trialName }) {
                guard let e = t.exceptionInfo, shown.insert(e.exceptionType).inserted else { continue }
                let first = e.exceptionMessage.split(separator: "\n").prefix(3).joined(separator: " | ")
                out += "  \(e.exceptionType) in \(t.trialName): \(first.prefix(300))\n"
            }
        }
        out += "job folder: \(jobDirectory)\n"
        if cancelled { out += "stopped before the end: run the same command (same --job-name) to resume\n" }
        return out
    }

    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = first.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (r, row) in rows.enumerated() {
            let cells = row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }
            out += cells.joined(separator: "  ") + "\n"
            if r == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }
}
