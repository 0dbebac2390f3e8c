import AACore
import ArgumentParser

@main
struct AACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aa",
        abstract: "AutoAgent: run agent task suites in sandboxes, analyze why runs fail, and optimize the agent's harness.",
        version: AutoAgent.version,
        subcommands: []
    )
}
