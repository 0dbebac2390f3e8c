import Foundation

/// How big a harness is, for the "equal score, simpler harness" rule: counted over what the agent
/// runs (harness.toml, system.md, tools/, skills/, agents/), not notes such as a README.
public struct HarnessSize: Sendable, Equatable {
    public var files: Int
    public var bytes: Int
    public var tools: Int

    public init(files all: [(path: String, bytes: Int)]) {
        let files = all.filter { f in
            f.path == "harness.toml" || f.path == "system.md" || ["tools/", "skills/", "agents/"].contains { f.path.hasPrefix($0) }
        }
        self.files = files.count
        bytes = files.map(\.bytes).reduce(0, +)
        tools = files.filter { $0.path.hasPrefix("tools/") && $0.path.hasSuffix(".toml") }.count
    }

    /// Simpler: fewer bytes in all, and no more files and no more tools.
    public func isSimpler(than other: HarnessSize) -> Bool {
        bytes < other.bytes && files <= other.files && tools <= other.tools
    }
}

/// The code that decides keep or discard (program.md's "Keep or discard" section).
///
/// After the search panel, an edit goes on to the validation veto when
/// - it **improved**: the one-sided stratified p-value is at most `alpha` and the mean paired delta
///   is larger than the noise floor; or
/// - it is **equal and simpler**: |delta| is within the noise floor, the parent is not significantly
///   better (p-value of "worse" above `alpha`), and the harness is simpler (`HarnessSize`).
///
/// The veto: the validation score may not fall below the parent's by more than the noise floor.
public struct KeepRule: Sendable {
    public var alpha: Double
    public var noiseFloor: Double

    public init(alpha: Double, noiseFloor: Double) {
        self.alpha = alpha
        self.noiseFloor = noiseFloor
    }

    public enum SearchVerdict: Sendable, Equatable {
        case improved
        case equalAndSimpler
        case discard(String)
    }

    /// A tolerance for "within the noise floor" when the floor is zero.
    static let epsilon = 1e-9

    public func judgeSearch(_ c: PairedComparison, simpler: Bool) -> SearchVerdict {
        let delta = c.meanDelta
        let stats = String(format: "delta %+.3f, p = %.4f, noise floor %.3f", delta, c.pValue, noiseFloor)
        if c.pValue <= alpha, delta > noiseFloor + Self.epsilon { return .improved }
        if abs(delta) <= noiseFloor + Self.epsilon, c.pValueWorse > alpha {
            return simpler ? .equalAndSimpler : .discard("Equal on the search panel (\(stats)) and not simpler than its parent.")
        }
        if delta < 0 { return .discard("Worse on the search panel (\(stats)).") }
        if c.pValue > alpha { return .discard("Not significant on the search panel (\(stats); alpha \(alpha)).") }
        return .discard("The improvement is within the noise floor (\(stats)).")
    }

    /// Nil when validation does not regress, else the reason for the veto.
    public func validationVeto(child: Double?, parent: Double?) -> String? {
        guard let child, let parent else { return nil }
        if child < parent - noiseFloor - Self.epsilon {
            return String(format: "Validation regressed: %.3f against the parent's %.3f (noise floor %.3f).", child, parent, noiseFloor)
        }
        return nil
    }

    /// The noise floor from the baseline run twice on the search panel: the larger of the absolute
    /// mean paired delta between the two runs and the half-width of its bootstrap interval.
    public static func noiseFloor(rerun: PairedComparison) -> Double {
        max(abs(rerun.meanDelta), (rerun.ciHigh - rerun.ciLow) / 2)
    }
}
