import Foundation

/// The layout of an optimize run directory (see docs/optimize.md).
public struct OptimizeRunDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    public var harness: String { path + "/harness" }
    public var ledger: String { path + "/ledger.sqlite" }
    public var results: String { path + "/results.tsv" }
    public var learnings: String { path + "/learnings.md" }
    public var config: String { OptimizeConfig.path(runDirectory: path) }

    /// `experiments/<id as 4 digits>`.
    public func experiment(_ id: Int) -> String { path + "/experiments/" + String(format: "%04d", id) }
    public func jobs(_ id: Int) -> String { experiment(id) + "/jobs" }
    public func meta(_ id: Int) -> String { experiment(id) + "/meta" }
    /// The snapshot of the experiment's commit that its jobs run.
    public func snapshot(_ id: Int) -> String { experiment(id) + "/harness" }
    public func proposal(_ id: Int) -> String { experiment(id) + "/proposal.json" }
    public func analysis(_ id: Int) -> String { experiment(id) + "/analysis.json" }
    public func diff(_ id: Int) -> String { experiment(id) + "/diff.patch" }
}
