/// Finds, for a failed trial, the agent step where it lost direction: where it departs from the
/// successful runs of the same task when there are any (the first call whose command template
/// no successful run used, else the call after the longest prefix shared with one of them), and
/// otherwise the step after its last progress (the last call that ran something new successfully).
public struct LostDirection: Sendable {
    public let detectors: Detectors
    /// Per task code: the command-template sequences of its successful trials, and every
    /// template they used.
    private let successes: [Int32: [[Int32]]]
    private let used: [Int32: Set<Int32>]

    /// References come from the successful trials in `trials` (all by default).
    public init(detectors: Detectors, trials: Range<Int>? = nil) {
        self.detectors = detectors
        let tables = detectors.tables
        var successes: [Int32: [[Int32]]] = [:]
        for trial in trials ?? 0..<tables.trials.count where tables.trials.succeeded(trial) {
            let sequence = detectors.toolRows(trial).map { tables.steps.commandTemplate[$0] }
            successes[tables.trials.task.codes[trial], default: []].append(sequence)
        }
        self.successes = successes
        used = successes.mapValues { Set($0.joined()) }
    }

    /// Whether the trial's task has successful runs to compare with.
    public func hasReference(_ trial: Int) -> Bool {
        !(successes[detectors.tables.trials.task.codes[trial]] ?? []).isEmpty
    }

    /// The step N where the trial lost direction, or nil when it has no calls.
    public func step(_ trial: Int) -> Int? {
        let tables = detectors.tables
        let calls = detectors.toolRows(trial)
        guard !calls.isEmpty else { return nil }
        let sequence = calls.map { tables.steps.commandTemplate[$0] }
        let task = tables.trials.task.codes[trial]
        if let references = successes[task], !references.isEmpty, let used = used[task] {
            if let i = sequence.firstIndex(where: { !used.contains($0) }) {
                return Int(tables.steps.index[calls[i]])
            }
            let shared = references.map { commonPrefix($0, sequence) }.max() ?? 0
            return Int(tables.steps.index[calls[min(shared, calls.count - 1)]])
        }
        let last = detectors.lastProgress(calls) ?? -1
        return Int(tables.steps.index[calls[min(last + 1, calls.count - 1)]])
    }

    private func commonPrefix(_ a: [Int32], _ b: [Int32]) -> Int {
        var n = 0
        while n < a.count, n < b.count, a[n] == b[n] { n += 1 }
        return n
    }
}
