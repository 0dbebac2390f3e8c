import AAAnalytics
import ArgumentParser
import Foundation
import Logging

struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Turn job folders (ours or Harbor's) into a ranked failure-mode report.",
        discussion: """
        Inputs may be jobs folders, job folders, trial folders or folders of stored tables (--save-tables), in any mix.
        Markdown stays within --max-bytes however big the input; JSON lists every cluster member; HTML draws charts.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case md, json, html
    }

    @Argument(help: "Job folders (Harbor's or ours), trial folders, or stored-table folders.")
    var jobs: [String]

    @Option(help: "Report format: md, json or html.")
    var format: Format = .md

    @Option(parsing: .upToNextOption, help: "Baseline job folders: show which clusters grew or shrank against them.")
    var compare: [String] = []

    @Option(name: .shortAndLong, help: "Write the report here instead of standard output.")
    var output: String?

    @Option(help: "Byte budget of the Markdown report.")
    var maxBytes: Int = MarkdownReport.defaultBudget

    @Option(help: "Store the trials and steps tables (with --compare, of both sets) as compressed column files in this folder.")
    var saveTables: String?

    @Option(help: "Write trials.csv and steps.csv into this folder.")
    var exportCsv: String?

    @Option(help: "Write trials.jsonl and steps.jsonl into this folder.")
    var exportJsonl: String?

    func validate() throws {
        if maxBytes < 1_000 { throw ValidationError("--max-bytes must be at least 1000") }
    }

    mutating func run() async throws {
        let logger = Logger(label: "aa.analyze")
        // Baseline and current trials share one set of tables, so their templates and cluster ids agree.
        let corpus = try load(compare.isEmpty ? [jobs] : [jobs, compare], logger: logger)
        let current = corpus.groups[0]
        if let folder = saveTables { try ColumnStore.save(corpus.tables, to: folder) }
        if let folder = exportCsv { try TableExport.write(corpus.tables, format: .csv, to: folder) }
        if let folder = exportJsonl { try TableExport.write(corpus.tables, format: .jsonl, to: folder) }

        let analysis = FailureAnalysis.analyze(corpus.tables, trials: current, problems: corpus.problems)
        var comparison: AnalysisComparison?
        if compare.count > 0 {
            let baseline = FailureAnalysis.analyze(corpus.tables, trials: corpus.groups[1])
            comparison = AnalysisComparison(baseline: baseline, current: analysis)
        }

        let report: String
        switch format {
        case .md:
            report = MarkdownReport.render(analysis, comparison: comparison, budget: maxBytes)
        case .html:
            report = HTMLReport.render(analysis, comparison: comparison)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let document = JSONReport(analysis: analysis, comparison: comparison)
            report = String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
        }
        if let output {
            try OutputFile.write(Data(report.utf8), to: output)
        } else {
            FileHandle.standardOutput.write(Data(report.utf8))
        }
        FileHandle.standardError.write(Data((
            "analyzed \(analysis.trials) trials: \(analysis.failedTrials) failed, "
            + "\(analysis.clusters.count) clusters" + (corpus.problems.isEmpty ? "" : ", \(corpus.problems.count) input problems")
            + (output.map { "; report in \($0)" } ?? "") + "\n").utf8))
    }

    private func load(_ groups: [[String]], logger: Logger) throws -> CorpusLoader.Corpus {
        let progress = SharedProgress("reading trials")
        let corpus = try CorpusLoader.load(groups: groups, logger: logger) { done, total in progress.update(done, total) }
        progress.finish("\(corpus.tables.trials.count) trials, \(corpus.tables.steps.count) steps")
        return corpus
    }
}

/// The JSON report: the complete analysis and, with --compare, the comparison.
struct JSONReport: Encodable {
    var analysis: FailureAnalysis
    var comparison: AnalysisComparison?
}
