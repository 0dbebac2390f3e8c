/// Which failure clusters grew or shrank between a baseline analysis and a current one; clusters
/// are matched by id (kind and template).
public struct AnalysisComparison: Sendable, Codable, Equatable {
    public struct Row: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        public var before: Int
        public var after: Int
        public var beforeShare: Double
        public var afterShare: Double
    }

    public var baselineJobs: [String]
    public var currentJobs: [String]
    public var baselineFailed: Int
    public var currentFailed: Int
    public var baselineMeanReward: Double?
    public var currentMeanReward: Double?
    /// Every cluster of either analysis, largest change first.
    public var rows: [Row]

    public init(baseline: FailureAnalysis, current: FailureAnalysis) {
        baselineJobs = baseline.jobs
        currentJobs = current.jobs
        baselineFailed = baseline.failedTrials
        currentFailed = current.failedTrials
        baselineMeanReward = baseline.meanReward
        currentMeanReward = current.meanReward
        var rows: [String: Row] = [:]
        for c in baseline.clusters {
            rows[c.id] = Row(id: c.id, name: c.name, before: c.failedTrials, after: 0, beforeShare: c.share, afterShare: 0)
        }
        for c in current.clusters {
            var row = rows[c.id] ?? Row(id: c.id, name: c.name, before: 0, after: 0, beforeShare: 0, afterShare: 0)
            row.after = c.failedTrials
            row.afterShare = c.share
            rows[c.id] = row
        }
        self.rows = rows.values.sorted { (abs($0.after - $0.before), $1.id) > (abs($1.after - $1.before), $0.id) }
    }
}
