import AAAnalytics
import Foundation
import Logging

/// The failure analysis of a search job: written as `analysis.json` (the shape of
/// `aa analyze --format json`), counted per failure mode for the ledger, and rendered as the
/// Markdown report the meta-agent reads.
public struct FailureReport: Sendable {
    public var analysis: FailureAnalysis

    /// Analyses the trials of one job folder.
    public static func analyze(jobDirectory: String, logger: Logger) throws -> FailureReport {
        let corpus = try CorpusLoader.load(paths: [jobDirectory], logger: logger)
        return FailureReport(analysis: FailureAnalysis.analyze(corpus.tables, trials: corpus.groups[0], problems: corpus.problems))
    }

    /// Failed trials per failure mode (cluster name).
    public var failureModes: [String: Int] {
        var modes: [String: Int] = [:]
        for cluster in analysis.clusters { modes[cluster.name, default: 0] += cluster.failedTrials }
        return modes
    }

    public func markdown(budget: Int = MarkdownReport.defaultBudget) -> String {
        MarkdownReport.render(analysis, comparison: nil, budget: budget)
    }

    private struct Document: Encodable {
        var analysis: FailureAnalysis
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(Document(analysis: analysis)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
