import Foundation
import TestSupport
import Glibc

/// A jobs directory for one test, removed afterwards.
final class JobsDirectory {
    let path: String

    init() {
        path = "/var/tmp/aa-cli-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The trial folders of a job.
    func trials(_ job: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + job)) ?? [])
            .filter { $0.contains("__") }.sorted()
    }

    /// A JSON file of the job as a dictionary.
    func json(_ relative: String) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path + "/" + relative),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }

    /// The main reward of a trial, nil when the verifier gave none.
    func reward(_ job: String, _ trial: String) -> Double? {
        let result = json("\(job)/\(trial)/result.json")
        guard let rewards = (result["verifier_result"] as? [String: Any])?["rewards"] as? [String: Any] else { return nil }
        return (rewards["reward"] as? NSNumber)?.doubleValue
    }

    func exceptionType(_ job: String, _ trial: String) -> String? {
        (json("\(job)/\(trial)/result.json")["exception_info"] as? [String: Any])?["exception_type"] as? String
    }
}

/// Paths of the repository the tests run from.
enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var bundledTasks: String { root + "/examples/tasks" }
    static func fixtures(_ name: String) -> String { root + "/Tests/Fixtures/" + name }
}

/// A running `aa` process that a test can signal.
final class RunningCommand {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Executables.directory + "/aa")
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    func wait() -> (status: Int32, stdout: String, stderr: String) {
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
