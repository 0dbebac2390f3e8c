import ArgumentParser

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "Inspect and check task suites (nop scores 0, oracle scores 1)."
    )

    mutating func run() async throws {
        throw NotAvailableYet(command: "tasks")
    }
}
