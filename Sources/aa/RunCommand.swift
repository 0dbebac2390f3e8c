import ArgumentParser

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a task suite (Harbor format) with an agent, one sandbox per trial, and write a Harbor job folder."
    )

    mutating func run() async throws {
        throw NotAvailableYet(command: "run")
    }
}
