import AACore
import Foundation

/// An optimize run directory for one test, written through ExperimentLedger and removed afterwards.
final class RunFixture {
    let path: String
    let ledger: ExperimentLedger
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    static let hostile = #"<script>alert("x")</script> & <img src=x onerror=alert(1)> | pipe"#
    static let diff = """
        diff --git a/system.md b/system.md
        index 1234567..89abcde 100644
        --- a/system.md
        +++ b/system.md
        @@ -1,3 +1,4 @@
         You are a careful agent.
        -Finish quickly.
        +Before finishing, run the checks and read their output.
        +<script>alert('diff')</script>
        """

    init(state: String = "finished", info extra: [String: String] = [:]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("aa-report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        ledger = try ExperimentLedger(path: path + "/ledger.sqlite")
        let info = [
            "name": "nightly <b>run</b>", "suite": "examples/tasks", "harness_source": "examples/harness",
            "task_model": "qwen2.5-coder-7b", "meta_model": "claude-sonnet-4", "seed": "7", "alpha": "0.05",
            "trials_per_task": "3", "candidates_per_round": "1",
            "panels": #"{"search":["a","b","c","d"],"validation":["e","f"],"test":["g"]}"#,
            "budgets": #"{"usd":10,"experiments":50}"#, "noise_floor": "0.03",
            "started_at": ISOTime.string(start), "state": state, "stop_reason": state == "running" ? "" : "experiment budget reached",
        ].merging(extra) { $1 }
        for (k, v) in info { try ledger.setInfo(k, v) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Adds an experiment finishing `minutes` after the run's start; scores nil where the status has none.
    @discardableResult
    func add(_ id: Int, _ status: ExperimentStatus, score: Double? = nil, parent: Double? = nil, validation: Double? = nil,
             test: Double? = nil, p: Double? = nil, cost: Double = 0.1, tokens: Int = 1000, minutes: Double,
             modes: [String: Int] = [:], description: String = "an edit", diff: String = "") throws -> ExperimentRecord {
        var r = ExperimentRecord(id: id, round: id == 0 ? 0 : (id + 1) / 2, candidate: id == 0 ? 0 : (id + 1) % 2, status: status,
                                 stage: status == .rejected ? .guard : status == .running ? .search : .done,
                                 description: description, startedAt: ISOTime.string(start.addingTimeInterval(minutes * 60 - 30)))
        r.commitID = status == .rejected ? nil : String(format: "%040x", id + 0xabc)
        r.hypothesis = "hypothesis \(id)"
        r.reason = status == .keep ? "significant" : status == .discard ? "not significant" : ""
        r.avgScore = score
        r.parentScore = parent
        r.validationScore = validation
        r.testScore = test
        if let score, let parent {
            r.statistic = score - parent
            r.ciLow = score - parent - 0.02
            r.ciHigh = score - parent + 0.02
        }
        r.pValue = p
        r.noiseFloor = 0.03
        r.trials = score == nil ? 0 : 12
        r.passed = score.map { Int($0 * 12) }
        r.taskScores = score == nil ? [:] : ["a": 1, "b": 0.5]
        r.taskDeltas = score == nil || parent == nil ? [:] : ["a": 0.25, "b": -0.125]
        r.costUSD = cost
        r.tokens = tokens
        r.wallSeconds = 30
        r.failureModes = modes
        r.diff = diff
        r.finishedAt = status == .running ? nil : ISOTime.string(start.addingTimeInterval(minutes * 60))
        try ledger.insert(r)
        return r
    }

    /// A small finished run: baseline, a kept edit, a discarded one, a rejected one, a crash, a second kept edit.
    static func small() throws -> RunFixture {
        let f = try RunFixture()
        try f.add(0, .baseline, score: 0.40, validation: 0.38, test: 0.35, cost: 0.5, tokens: 20_000, minutes: 5,
                  modes: ["lost direction": 5, "loop": 3, "timeout": 1], description: "baseline")
        try f.add(1, .keep, score: 0.55, parent: 0.40, validation: 0.50, test: 0.45, p: 0.004, cost: 0.25, tokens: 9_000, minutes: 10,
                  modes: ["lost direction": 2, "loop": 1], description: hostile, diff: diff)
        try f.add(2, .discard, score: 0.50, parent: 0.55, validation: 0.49, p: 0.40, cost: 0.25, tokens: 9_000, minutes: 15,
                  modes: ["loop": 4, "timeout": 2])
        try f.add(3, .rejected, cost: 0.01, tokens: 100, minutes: 16, description: "names a task")
        try f.add(4, .crash, cost: 0.05, tokens: 500, minutes: 18, description: "broke the tools")
        try f.add(5, .keep, score: 0.60, parent: 0.55, validation: 0.52, test: 0.50, p: 0.03, cost: 0.25, tokens: 9_000, minutes: 25,
                  modes: ["lost direction": 1], description: "second kept edit", diff: diff)
        return f
    }
}
