import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compare sandbox launch throughput against fork+exec, unshare and bubblewrap.")
    mutating func run() async throws {
        throw ValidationError("not available yet")
    }
}
