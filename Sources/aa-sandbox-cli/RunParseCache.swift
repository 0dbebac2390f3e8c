import ArgumentParser
import Synchronization

/// Parsed `run` options by their arguments, so that the server parses each distinct option list
/// once: everything up to the first `--` decides the options, everything after it is the command
/// (taken as it is), so a request that repeats an option list reuses its parse and only swaps the
/// command. Requests without `--`, and failed parses, go through the parser every time.
final class RunParseCache: Sendable {
    private struct Entry: Sendable {
        var run: Run
        /// Whether the parser kept the `--` as the command's first word.
        var keepsSeparator: Bool
    }

    private let entries = Mutex<[[String]: Entry]>([:])
    /// Distinct option lists kept; beyond it one is dropped.
    private let capacity: Int

    init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// The `run` command for these arguments (those after `run`), exactly as parsing them under the
    /// root command gives it; what the parser throws passes through.
    func parse(_ arguments: [String]) throws -> any ParsableCommand {
        guard let separator = arguments.firstIndex(of: "--") else {
            return try SandboxCommand.parseAsRoot(["run"] + arguments)
        }
        let options = Array(arguments[...separator])
        let command = Array(arguments[(separator + 1)...])
        if let entry = entries.withLock({ $0[options] }) {
            var run = entry.run
            run.command = (entry.keepsSeparator ? ["--"] : []) + command
            return run
        }
        let parsed = try SandboxCommand.parseAsRoot(["run"] + arguments)
        guard let run = parsed as? Run, run.command == command || run.command == ["--"] + command else { return parsed }
        entries.withLock { e in
            if e.count >= capacity, let any = e.keys.first { e[any] = nil }
            e[options] = Entry(run: run, keepsSeparator: run.command != command)
        }
        return run
    }
}
