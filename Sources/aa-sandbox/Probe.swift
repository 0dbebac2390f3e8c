import ArgumentParser

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show, from inside a sandbox, which isolation is in force.")
    mutating func run() async throws {
        throw ValidationError("not available yet")
    }
}
