import ArgumentParser

struct OptimizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Improve a harness on a task suite with the meta-agent loop."
    )

    mutating func run() async throws {
        throw NotAvailableYet(command: "optimize")
    }
}
