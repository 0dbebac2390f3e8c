import Foundation

/// What `aa report` shows of an optimize run: its settings, what it spent, the headline (baseline → best),
/// and the series its charts draw, all derived from the ledger's run info and experiment records.
public struct OptimizeReport: Sendable {
    /// The run's configuration as recorded in `run_info`.
    public struct Run: Sendable, Encodable {
        public var name: String
        public var suite: String
        public var harnessSource: String
        public var taskModel: String
        public var metaModel: String
        public var seed: String
        public var alpha: Double?
        public var trialsPerTask: Int?
        public var candidatesPerRound: Int?
        /// Number of tasks per panel (search, validation, test).
        public var panels: [String: Int]
        public var state: String
        public var stopReason: String
        public var startedAt: String

        /// The state and, once the run has stopped, why (a resumed run still carries its last stop reason).
        public var stateLine: String {
            let state = state.isEmpty ? "unknown state" : state
            return state == "running" || stopReason.isEmpty ? state : "\(state): \(stopReason)"
        }
    }

    /// A cap and what was spent against it (`cap` nil when the run has none).
    public struct Spend<Value: Sendable & Encodable>: Sendable, Encodable {
        public var spent: Value
        public var cap: Value?
    }

    /// Spending against the caps, counted as the loop counts it: dollars, tokens and wall seconds summed over
    /// experiments (the baseline included); experiments finished after the baseline.
    public struct Spending: Sendable, Encodable {
        public var usd: Spend<Double>
        public var tokens: Spend<Int>
        public var wallSeconds: Spend<Double>
        public var experiments: Spend<Int>
    }

    /// A score at the baseline and at the current best harness on one panel.
    public struct Change: Sendable, Encodable {
        public var baseline: Double?
        public var best: Double?
        public var delta: Double? {
            guard let baseline, let best else { return nil }
            return best - baseline
        }

        enum CodingKeys: String, CodingKey { case baseline, best, delta }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(baseline, forKey: .baseline)
            try c.encode(best, forKey: .best)
            try c.encode(delta, forKey: .delta)
        }
    }

    /// Baseline → best on each panel; `bestID` is the experiment whose harness is the current best.
    public struct Headline: Sendable, Encodable {
        public var bestID: Int?
        public var search: Change
        public var validation: Change
        public var test: Change
    }

    /// Experiments after the baseline (round 0) by outcome.
    public struct Counts: Sendable, Encodable, Equatable {
        public var tried: Int
        public var kept: Int
        public var discarded: Int
        public var rejected: Int
        public var crashed: Int
        public var running: Int

        public init(tried: Int = 0, kept: Int = 0, discarded: Int = 0, rejected: Int = 0, crashed: Int = 0, running: Int = 0) {
            (self.tried, self.kept, self.discarded, self.rejected, self.crashed, self.running) = (tried, kept, discarded, rejected, crashed, running)
        }
    }

    /// One experiment as the score chart and the tables see it.
    public struct Point: Sendable, Encodable {
        public var id: Int
        public var status: ExperimentStatus
        public var score: Double?
        public var parentScore: Double?
        public var validation: Double?
        /// The score of the harness in force after this experiment (the last kept one, or the baseline).
        public var runningBest: Double?
        /// Seconds from the run's start to this experiment's end (nil while running or without timestamps).
        public var elapsedSeconds: Double?
        public var costUSD: Double
        public var tokens: Int
    }

    /// Cumulative spending after an experiment finished, in order of finishing.
    public struct CostPoint: Sendable, Encodable {
        public var id: Int
        public var elapsedSeconds: Double
        public var cumulativeUSD: Double
        public var cumulativeTokens: Int
    }

    /// Failed trials by failure mode of one experiment: the top modes by name, the rest under `otherMode`.
    public struct FailurePoint: Sendable, Encodable {
        public var id: Int
        public var counts: [String: Int]
    }

    /// How many failure modes get their own colour; the rest are summed as `otherMode`.
    public static let topModeCount = 6
    public static let otherMode = "other"

    public var run: Run
    public var spending: Spending
    public var headline: Headline
    public var counts: Counts
    public var noiseFloor: Double?
    public var points: [Point]
    public var cost: [CostPoint]
    /// The most frequent failure modes, most failed trials first (colours follow this order).
    public var topModes: [String]
    public var failures: [FailurePoint]
    /// The records as read from the ledger, in id order.
    public var experiments: [ExperimentRecord]

    /// Derives the report from `run_info` and the experiment records.
    public init(info: [String: String], records: [ExperimentRecord]) {
        let records = records.sorted { $0.id < $1.id }
        experiments = records
        let budgets = Self.jsonObject(info["budgets"])
        let panels = Self.jsonObject(info["panels"]).compactMapValues { ($0 as? [Any])?.count }
        run = Run(name: info["name"] ?? "", suite: info["suite"] ?? "", harnessSource: info["harness_source"] ?? "",
                  taskModel: info["task_model"] ?? "", metaModel: info["meta_model"] ?? "", seed: info["seed"] ?? "",
                  alpha: info["alpha"].flatMap(Double.init), trialsPerTask: info["trials_per_task"].flatMap(Int.init),
                  candidatesPerRound: info["candidates_per_round"].flatMap(Int.init), panels: panels,
                  state: info["state"] ?? "", stopReason: info["stop_reason"] ?? "", startedAt: info["started_at"] ?? "")

        // The baseline is round 0; while it still runs, its scores so far stand in.
        let baseline = records.first { $0.status == .baseline } ?? records.first { $0.round == 0 }
        let best = records.last { $0.status == .keep } ?? baseline
        headline = Headline(
            bestID: best?.id,
            search: Change(baseline: baseline?.avgScore, best: best?.avgScore),
            validation: Change(baseline: baseline?.validationScore, best: best?.validationScore),
            test: Change(baseline: baseline?.testScore, best: best?.testScore))

        var counts = Counts()
        for r in records where r.round > 0 && r.status != .baseline {
            counts.tried += 1
            switch r.status {
            case .keep: counts.kept += 1
            case .discard: counts.discarded += 1
            case .rejected: counts.rejected += 1
            case .crash: counts.crashed += 1
            case .running: counts.running += 1
            case .baseline: break
            }
        }
        self.counts = counts
        noiseFloor = info["noise_floor"].flatMap(Double.init) ?? baseline?.noiseFloor ?? records.last { $0.noiseFloor != nil }?.noiseFloor

        let start = ISOTime.date(info["started_at"] ?? "") ?? records.compactMap { ISOTime.date($0.startedAt) }.min()
        func elapsed(_ r: ExperimentRecord) -> Double? {
            guard let start, let end = r.finishedAt.flatMap(ISOTime.date) else { return nil }
            return max(0, end.timeIntervalSince(start))
        }
        var current: Double?
        points = records.map { r in
            if r.status == .keep || r.id == baseline?.id { current = r.avgScore ?? current }
            return Point(id: r.id, status: r.status, score: r.avgScore, parentScore: r.parentScore, validation: r.validationScore,
                         runningBest: current, elapsedSeconds: elapsed(r), costUSD: r.costUSD, tokens: r.tokens)
        }

        var usd = 0.0, tokens = 0
        cost = points.compactMap { p in p.elapsedSeconds.map { (p, $0) } }
            .sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
            .map { p, t in
                usd += p.costUSD
                tokens += p.tokens
                return CostPoint(id: p.id, elapsedSeconds: t, cumulativeUSD: usd, cumulativeTokens: tokens)
            }

        spending = Spending(
            usd: Spend(spent: records.map(\.costUSD).reduce(0, +), cap: budgets["usd"].flatMap(Self.double)),
            tokens: Spend(spent: records.map(\.tokens).reduce(0, +), cap: budgets["tokens"].flatMap(Self.double).map { Int($0) }),
            wallSeconds: Spend(spent: records.map(\.wallSeconds).reduce(0, +), cap: budgets["wall_seconds"].flatMap(Self.double)),
            experiments: Spend(spent: counts.tried - counts.running, cap: budgets["experiments"].flatMap(Self.double).map { Int($0) }))

        var totals: [String: Int] = [:]
        for r in records { for (mode, n) in r.failureModes { totals[mode, default: 0] += n } }
        topModes = Array(totals.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map(\.key).filter { $0 != Self.otherMode }.prefix(Self.topModeCount))
        let top = Set(topModes)
        failures = records.compactMap { r in
            guard !r.failureModes.isEmpty else { return nil }
            var counts: [String: Int] = [:]
            for (mode, n) in r.failureModes where n > 0 { counts[top.contains(mode) ? mode : Self.otherMode, default: 0] += n }
            return FailurePoint(id: r.id, counts: counts)
        }
    }

    /// The current best experiment's record (the last kept one, else the baseline).
    public var best: ExperimentRecord? {
        headline.bestID.flatMap { id in experiments.first { $0.id == id } }
    }

    /// The baseline's search score ± the noise floor, when both are known.
    public var noiseBand: ClosedRange<Double>? {
        guard let base = headline.search.baseline, let floor = noiseFloor, floor.isFinite else { return nil }
        return (base - abs(floor))...(base + abs(floor))
    }

    private static func jsonObject(_ text: String?) -> [String: Any] {
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object
    }

    private static func double(_ value: Any) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String { return Double(s) }
        return nil
    }
}
