import AACore
import ArgumentParser

@main
struct AACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aa",
        abstract: "AutoAgent: run agent task suites in sandboxes, analyze why runs fail, and optimize the agent's harness.",
        version: AutoAgent.version,
        subcommands: [
            RunCommand.self, TasksCommand.self, AnalyzeCommand.self, TemplatesCommand.self,
            OptimizeCommand.self, ReportCommand.self, RunTrialCommand.self,
        ]
    )
}

/// Thrown by commands whose capability has not landed yet: says so and exits non-zero.
struct NotAvailableYet: Error, CustomStringConvertible {
    let command: String
    var description: String { "aa \(command) is not available yet in this build of AutoAgent" }
}
