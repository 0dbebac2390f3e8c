import AACore
import AASandbox
import Foundation
import Logging

/// The CLI's logger: warnings and errors on stderr; AA_LOG_LEVEL=debug shows more.
let cliLogger: Logger = {
    var logger = Logger(label: "aa")
    logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["AA_LOG_LEVEL"] ?? "warning") ?? .warning
    return logger
}()

/// Writes a line to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs `body` as a task that Ctrl-C cancels (the first time); a second Ctrl-C exits at once.
func runCancellable<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .main) }
    let count = LockedCounter()
    for source in sources {
        source.setEventHandler {
            if count.increment() == 1 {
                printError("\naa: stopping: cancelling running trials (Ctrl-C again to quit at once)")
                task.cancel()
            } else {
                exit(130)
            }
        }
        source.resume()
    }
    defer {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
    return try await task.value
}

/// A counter shared with a signal handler.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// The sandbox runtime, or a clear error (it needs root).
func openRuntime() throws -> SandboxRuntime {
    do throws(SandboxError) {
        return try SandboxRuntime.shared(logger: cliLogger)
    } catch {
        printError("aa: \(error)")
        throw ExitCodeError.sandboxUnavailable
    }
}

enum ExitCodeError: Error {
    case sandboxUnavailable
}

/// Parses `K=V` entries of repeatable options.
func keyValues(_ entries: [String], option: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for e in entries {
        guard let eq = e.firstIndex(of: "="), eq != e.startIndex else {
            throw ValidationFailure("\(option) takes KEY=VALUE, got \"\(e)\"")
        }
        out[String(e[..<eq])] = String(e[e.index(after: eq)...])
    }
    return out
}

struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
