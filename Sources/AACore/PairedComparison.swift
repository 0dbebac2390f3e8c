import Foundation

/// A child harness against its parent on the same tasks, paired by task: per-task means over the
/// trials, their deltas, a permutation test stratified by task and a bootstrap interval.
///
/// The test: under the null hypothesis the child is no better, so within each task the trial
/// rewards of both arms are exchangeable. The statistic is the mean over tasks of
/// (child mean − parent mean); its null distribution comes from relabelling trials within each
/// task — exactly (convolving the per-task distributions) when every task has at most
/// `exactLimit` relabellings, else from `samples` Monte Carlo relabellings. `pValue` is one-sided
/// (child better), `pValueWorse` the other side. The interval is a percentile bootstrap over tasks
/// of the task deltas at `level`.
public struct PairedComparison: Sendable, Equatable {
    /// Mean over paired tasks of (child mean − parent mean).
    public var meanDelta: Double
    /// One-sided p-value that the child is better (including ties with the observed statistic).
    public var pValue: Double
    /// One-sided p-value that the child is worse.
    public var pValueWorse: Double
    public var ciLow: Double
    public var ciHigh: Double
    public var taskDeltas: [String: Double]
    public var parentMeans: [String: Double]
    public var childMeans: [String: Double]
    /// Whether the null distribution was enumerated exactly.
    public var exact: Bool

    /// Tasks with at least one trial in both arms.
    public var tasks: [String] { taskDeltas.keys.sorted() }

    /// Relabellings per task up to which the test is exact.
    public static let exactLimit = 5_000

    /// Compares per-task trial rewards; tasks missing from either side are left out.
    public static func compare(parent: [String: [Double]], child: [String: [Double]], level: Double = 0.95,
                               samples: Int = 20_000, seed: UInt64 = 1) -> PairedComparison {
        let tasks = parent.keys.filter { !(parent[$0]?.isEmpty ?? true) && !(child[$0]?.isEmpty ?? true) }.sorted()
        var deltas: [String: Double] = [:]
        var parentMeans: [String: Double] = [:]
        var childMeans: [String: Double] = [:]
        for task in tasks {
            let p = mean(parent[task]!)
            let c = mean(child[task]!)
            parentMeans[task] = p
            childMeans[task] = c
            deltas[task] = c - p
        }
        guard !tasks.isEmpty else {
            return PairedComparison(meanDelta: 0, pValue: 1, pValueWorse: 1, ciLow: 0, ciHigh: 0, taskDeltas: [:],
                                    parentMeans: [:], childMeans: [:], exact: true)
        }
        let observed = mean(tasks.map { deltas[$0]! })
        let strata = tasks.map { (parent: parent[$0]!, child: child[$0]!) }
        var rng = SplitMix64(seed: seed)
        var exactValues: (Double, Double)?
        if strata.allSatisfy({ binomial($0.parent.count + $0.child.count, $0.child.count) <= Double(exactLimit) }) {
            exactValues = exactPValues(strata, observed: observed)
        }
        let exact = exactValues != nil
        let (pBetter, pWorse) = exactValues ?? monteCarloPValues(strata, observed: observed, samples: samples, rng: &rng)
        let (low, high) = bootstrapInterval(tasks.map { deltas[$0]! }, level: level, samples: samples, rng: &rng)
        return PairedComparison(meanDelta: observed, pValue: pBetter, pValueWorse: pWorse, ciLow: low, ciHigh: high,
                                taskDeltas: deltas, parentMeans: parentMeans, childMeans: childMeans, exact: exact)
    }

    /// The mean of task means: the score of one arm on a panel.
    public static func panelScore(_ rewards: [String: [Double]]) -> Double? {
        let means = rewards.values.filter { !$0.isEmpty }.map(mean)
        return means.isEmpty ? nil : mean(means)
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    /// Fixed-point keys, so sums of per-task contributions add exactly.
    private static let scale = 1e9

    /// Distinct values of the null distribution beyond which the exact test gives way to Monte Carlo.
    static let supportLimit = 200_000

    private static func exactPValues(_ strata: [(parent: [Double], child: [Double])], observed: Double) -> (Double, Double)? {
        let m = Double(strata.count)
        var distribution: [Int64: Double] = [0: 1]
        for stratum in strata {
            var local: [Int64: Double] = [:]
            let pooled = stratum.parent + stratum.child
            let total = pooled.reduce(0, +)
            let nc = stratum.child.count
            let np = stratum.parent.count
            var count = 0.0
            forEachSubset(of: pooled.count, size: nc) { chosen in
                let sc = chosen.reduce(0.0) { $0 + pooled[$1] }
                let delta = sc / Double(nc) - (total - sc) / Double(np)
                local[Int64((delta / m * scale).rounded()), default: 0] += 1
                count += 1
            }
            var next: [Int64: Double] = [:]
            for (a, pa) in distribution {
                for (b, pb) in local { next[a + b, default: 0] += pa * pb / count }
            }
            guard next.count <= supportLimit else { return nil }
            distribution = next
        }
        let key = Int64((observed * scale).rounded())
        let tolerance: Int64 = Int64(strata.count) + 1
        var better = 0.0
        var worse = 0.0
        for (value, p) in distribution {
            if value >= key - tolerance { better += p }
            if value <= key + tolerance { worse += p }
        }
        return (min(1, better), min(1, worse))
    }

    private static func monteCarloPValues(_ strata: [(parent: [Double], child: [Double])], observed: Double, samples: Int,
                                          rng: inout SplitMix64) -> (Double, Double) {
        var better = 0
        var worse = 0
        let epsilon = 1e-9
        for _ in 0..<samples {
            var sum = 0.0
            for stratum in strata {
                var pooled = stratum.parent + stratum.child
                pooled.shuffle(using: &rng)
                let nc = stratum.child.count
                sum += mean(Array(pooled[0..<nc])) - mean(Array(pooled[nc...]))
            }
            let statistic = sum / Double(strata.count)
            if statistic >= observed - epsilon { better += 1 }
            if statistic <= observed + epsilon { worse += 1 }
        }
        return (Double(better + 1) / Double(samples + 1), Double(worse + 1) / Double(samples + 1))
    }

    private static func bootstrapInterval(_ deltas: [Double], level: Double, samples: Int, rng: inout SplitMix64) -> (Double, Double) {
        guard deltas.count > 1 else { return (deltas[0], deltas[0]) }
        var means: [Double] = []
        means.reserveCapacity(samples)
        for _ in 0..<samples {
            var sum = 0.0
            for _ in 0..<deltas.count { sum += deltas[Int(rng.next() % UInt64(deltas.count))] }
            means.append(sum / Double(deltas.count))
        }
        means.sort()
        let tail = (1 - level) / 2
        let low = means[max(0, Int((tail * Double(samples)).rounded(.down)))]
        let high = means[min(samples - 1, Int(((1 - tail) * Double(samples)).rounded(.up)) - 1)]
        return (low, high)
    }

    static func binomial(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        var r = 1.0
        for i in 0..<min(k, n - k) { r = r * Double(n - i) / Double(i + 1) }
        return r
    }

    /// Calls `body` with every `size`-element subset of 0..<n (as sorted indices).
    private static func forEachSubset(of n: Int, size: Int, _ body: ([Int]) -> Void) {
        var indices = Array(0..<size)
        guard size <= n else { return }
        while true {
            body(indices)
            var i = size - 1
            while i >= 0, indices[i] == n - size + i { i -= 1 }
            if i < 0 { return }
            indices[i] += 1
            for j in (i + 1)..<size { indices[j] = indices[j - 1] + 1 }
        }
    }
}
