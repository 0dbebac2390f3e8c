import ArgumentParser

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render an optimization run as HTML."
    )

    mutating func run() async throws {
        throw NotAvailableYet(command: "report")
    }
}
