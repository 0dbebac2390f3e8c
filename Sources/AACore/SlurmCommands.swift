import Foundation

/// A Slurm client command failed to start or exited non-zero.
public struct SlurmCommandError: Error, CustomStringConvertible, Sendable {
    public var command: String
    public var status: Int32
    public var message: String
    public var description: String { "\(command) failed (exit \(status)): \(message)" }
}

/// The Slurm client commands the executor uses (`sbatch`, `squeue`, `sacct`, `scontrol`, `scancel`),
/// found on PATH and talking to the cluster that `SLURM_CONF` (or the default configuration) names.
public struct SlurmCommands: Sendable {
    /// One array task Slurm still knows as queued or running.
    public struct QueuedTask: Sendable, Equatable {
        public var arrayJobID: String
        public var index: Int
        public var name: String
        public var state: String
    }

    /// States in which an array task ended without running its trial to the end.
    public static let lostStates: Set<String> = [
        "BOOT_FAIL", "CANCELLED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "TIMEOUT",
    ]

    public init() {}

    /// Submits a batch script; returns the array job's id.
    public func submit(script: String, workingDirectory: String) throws(SlurmCommandError) -> String {
        let out = try run("sbatch", ["--parsable", "--chdir=" + workingDirectory, script])
        // --parsable prints `id` or `id;cluster`.
        let id = out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmCommandError(command: "sbatch", status: 0, message: "unexpected output \"\(out)\"")
        }
        return id
    }

    /// The caller's array tasks still queued or running whose job name starts with `namePrefix`, one per task.
    public func queue(namePrefix: String) throws(SlurmCommandError) -> [QueuedTask] {
        let out = try run("squeue", ["--me", "--noheader", "--array", "--format=%F|%K|%j|%T"])
        return out.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, f[2].hasPrefix(namePrefix), let index = Int(f[1]) else { return nil }
            return QueuedTask(arrayJobID: f[0], index: index, name: f[2], state: f[3])
        }
    }

    /// How an array task ended, from `sacct` or, without accounting, `scontrol` (which remembers
    /// finished jobs for MinJobAge); nil when neither knows.
    public func endState(arrayJobID: String, index: Int) -> String? {
        let id = "\(arrayJobID)_\(index)"
        if let out = try? run("sacct", ["--noheader", "--allocations", "--parsable2", "--format=State", "--jobs=" + id]),
           let first = out.split(separator: "\n").first {
            // "CANCELLED by 0" → CANCELLED
            return first.split(separator: " ").first.map(String.init)
        }
        if let out = try? run("scontrol", ["--oneliner", "show", "job", id]),
           let field = out.split(separator: " ").first(where: { $0.hasPrefix("JobState=") }) {
            return String(field.dropFirst("JobState=".count))
        }
        return nil
    }

    /// Cancels whole array jobs (all their tasks).
    public func cancel(arrayJobIDs: [String]) throws(SlurmCommandError) {
        guard !arrayJobIDs.isEmpty else { return }
        _ = try run("scancel", arrayJobIDs)
    }

    private func run(_ tool: String, _ arguments: [String]) throws(SlurmCommandError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe()
        process.standardOutput = out
        let err = Pipe()
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw SlurmCommandError(command: tool, status: -1, message: "\(error)")
        }
        // stderr is drained on its own so that a chatty error stream cannot block stdout.
        let errorText = ErrorText()
        let drain = Thread { errorText.set(err.fileHandleForReading.readDataToEndOfFile()) }
        drain.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = errorText.wait()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SlurmCommandError(command: tool, status: process.terminationStatus,
                                    message: message.isEmpty ? "no message" : message)
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// The stderr bytes of a command, handed from the thread that reads them.
    private final class ErrorText: @unchecked Sendable {
        private let condition = NSCondition()
        private var data: Data?
        func set(_ d: Data) {
            condition.lock()
            data = d
            condition.signal()
            condition.unlock()
        }
        func wait() -> Data {
            condition.lock()
            defer { condition.unlock() }
            while data == nil { condition.wait() }
            return data ?? Data()
        }
    }
}
