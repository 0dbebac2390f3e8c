import ArgumentParser

struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "Print the template id and template of every input line (CSV), to score the template miner."
    )

    mutating func run() async throws {
        throw NotAvailableYet(command: "templates")
    }
}
