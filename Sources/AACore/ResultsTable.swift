import Foundation

/// The `results.tsv` format of an optimize run: the seed's seven columns (kevinrgu/autoagent) then ours.
public enum ResultsTable {
    public static let columns = [
        "commit", "avg_score", "passed", "task_scores", "cost_usd", "status", "description",
        "parent", "panel", "trials", "statistic", "p_value", "tokens", "wall_seconds", "failure_modes",
    ]

    public static var header: String { columns.joined(separator: "\t") }

    /// One experiment as a tab-separated line (no newline).
    public static func row(_ r: ExperimentRecord) -> String {
        [
            short(r.commitID), score(r.avgScore), r.passed.map(String.init) ?? "0", json(r.taskScores),
            String(format: "%.4f", r.costUSD), r.status.rawValue, flat(r.description),
            short(r.parentCommit), r.panel, String(r.trials), optional(r.statistic), optional(r.pValue),
            String(r.tokens), String(format: "%.1f", r.wallSeconds), json(r.failureModes),
        ].joined(separator: "\t")
    }

    private static func short(_ commit: String?) -> String { commit.map { String($0.prefix(7)) } ?? "" }
    private static func score(_ value: Double?) -> String { String(format: "%.6f", value ?? 0) }
    private static func optional(_ value: Double?) -> String { value.map { String(format: "%.6f", $0) } ?? "" }

    private static func flat(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }

    private static func json<T: Encodable>(_ value: [String: T]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
