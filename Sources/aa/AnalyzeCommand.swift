import ArgumentParser

struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Turn job folders (ours or Harbor's) into a ranked failure-mode report."
    )

    mutating func run() async throws {
        throw NotAvailableYet(command: "analyze")
    }
}
