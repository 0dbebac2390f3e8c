import Foundation

/// The derived series of the optimize report as JSON, for other tools.
public enum OptimizeReportJSON {
    struct Document: Encodable {
        var run: OptimizeReport.Run
        var spending: OptimizeReport.Spending
        var headline: OptimizeReport.Headline
        var counts: OptimizeReport.Counts
        var noiseFloor: Double?
        var points: [OptimizeReport.Point]
        var cost: [OptimizeReport.CostPoint]
        var topModes: [String]
        var failures: [OptimizeReport.FailurePoint]
    }

    public static func render(_ report: OptimizeReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let document = Document(run: report.run, spending: report.spending, headline: report.headline, counts: report.counts,
                                noiseFloor: report.noiseFloor, points: report.points, cost: report.cost, topModes: report.topModes,
                                failures: report.failures)
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}
