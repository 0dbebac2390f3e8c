import Foundation
import Glibc
import TestSupport
import Testing

extension Trait where Self == ConditionTrait {
    /// The sandbox runtime (and so its server) needs root.
    static var requiresRoot: Self {
        .enabled(if: geteuid() == 0, "the sandbox runtime needs root")
    }
}

/// What a finished process did.
struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A private state folder ($AA_SANDBOX_STATE) for one test: its own runtime state, server socket
/// and lock. `cleanUp()` stops any server of it and removes it.
final class PrivateState {
    let directory: String
    private var servers: [Process] = []

    init() throws {
        directory = "/tmp/aa-server-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(directory, 0o700) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    var environment: [String: String] { ["AA_SANDBOX_STATE": directory] }
    var socket: String { directory + "/cli.sock" }

    /// Runs `aa-sandbox` (the front end) with this state folder.
    func frontEnd(
        _ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil, in directory: String? = nil,
        binaries: String = Executables.directory
    ) throws -> Outcome {
        let process = makeProcess(binaries + "/aa-sandbox", arguments, environment: extra)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `aa-sandbox` in the background (output discarded; stdin from a pipe or /dev/null).
    func startFrontEnd(_ arguments: [String], stdin: Pipe? = nil) throws -> Process {
        let process = makeProcess(Executables.directory + "/aa-sandbox", arguments, environment: [:])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A private state folder whose server has been started and answers.
    static func serving() throws -> PrivateState {
        let state = try PrivateState()
        do {
            _ = try state.startServer()
            #expect(try state.waitForServer().status == 0)
        } catch {
            state.cleanUp()
            throw error
        }
        return state
    }

    /// Starts `aa-sandbox-cli serve` for this folder (not waiting for it to be ready).
    func startServer(idleExit: Double = 600, errors: Pipe? = nil, binaries: String = Executables.directory) throws -> Process {
        let process = makeProcess(binaries + "/aa-sandbox-cli", ["serve", "--idle-exit", String(idleExit)], environment: [:])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        servers.append(process)
        return process
    }

    /// `aa-sandbox server status` for this folder.
    func status() throws -> Outcome {
        Outcome(try Executables.run("aa-sandbox-cli", ["server", "status"], environment: environment))
    }

    /// The server's status once it answers (within `seconds`).
    func waitForServer(seconds: Double = 30) throws -> Outcome {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let status = try status()
            if status.status == 0 || Date() > deadline { return status }
            usleep(20_000)
        }
    }

    /// Waits until a condition holds (within `seconds`); whether it did.
    func eventually(seconds: Double = 15, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// Stops the server of this folder, makes sure every server this test started is gone and
    /// removes the folder.
    func cleanUp() {
        _ = try? Executables.run("aa-sandbox-cli", ["server", "stop"], environment: environment)
        for server in servers where server.isRunning {
            server.terminate()
            server.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A copy of the built aa-sandbox, aa-sandbox-cli and aa-sandbox-init in a folder of this state folder.
    func copyOfTheBinaries() throws -> String {
        let folder = directory + "/bin"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["aa-sandbox", "aa-sandbox-cli", "aa-sandbox-init"] {
            try FileManager.default.copyItem(atPath: Executables.directory + "/" + name, toPath: folder + "/" + name)
        }
        return folder
    }

    private func makeProcess(_ path: String, _ arguments: [String], environment extra: [String: String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(extra) { $1 }) { $1 }
        return process
    }
}

extension Outcome {
    init(_ result: (status: Int32, stdout: String, stderr: String)) {
        self.init(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}

/// The init pids of the running sandboxes in a `server status` text.
func runningSandboxes(_ status: Outcome) -> [Int32] {
    guard let line = status.stdout.split(separator: "\n").first(where: { $0.hasPrefix("running sandboxes:") }),
          let open = line.firstIndex(of: "(")
    else { return [] }
    return line[open...].split(whereSeparator: { !$0.isNumber }).compactMap { Int32($0) }
}

/// Whether a host process exists.
func processExists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno != ESRCH
}

/// Host processes whose command line contains text.
func hostProcesses(containing text: String) -> [Int32] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return names.compactMap { Int32($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
}
