import AAAnalytics
import AACore
import ArgumentParser
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render an optimization run as HTML (or Markdown, or JSON series).",
        discussion: """
        Reads RUN_DIR/ledger.sqlite (also while the run is still going). HTML goes to RUN_DIR/report.html unless -o \
        says otherwise, followed by a one-screen summary; Markdown and JSON go to standard output unless -o is given.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case html, md, json
    }

    @Argument(help: "The optimize run directory (aa optimize --run-dir).")
    var runDir: String

    @Option(name: .shortAndLong, help: "Write the report here (html: default RUN_DIR/report.html; md, json: default standard output).")
    var output: String?

    @Option(help: "Report format: html, md or json.")
    var format: Format = .html

    mutating func run() async throws {
        let report: OptimizeReport
        do throws(OptimizeRunError) {
            report = try OptimizeReport.load(runDirectory: runDir)
        } catch {
            printError("aa report: \(error)")
            throw ExitCode.failure
        }
        let generatedAt = ISOTime.string(Date())
        let text: String
        switch format {
        case .html: text = OptimizeReportHTML.render(report, generatedAt: generatedAt)
        case .md: text = OptimizeReportMarkdown.render(report, generatedAt: generatedAt)
        case .json: text = try OptimizeReportJSON.render(report)
        }
        let destination = output ?? (format == .html ? URL(fileURLWithPath: runDir).appendingPathComponent("report.html").path : nil)
        guard let destination else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try OutputFile.write(Data(text.utf8), to: destination)
        } catch {
            printError("aa report: cannot write \(destination): \(error.localizedDescription)")
            throw ExitCode.failure
        }
        print(OptimizeReportSummary.render(report), terminator: "")
        print("report: \(destination)")
    }
}
