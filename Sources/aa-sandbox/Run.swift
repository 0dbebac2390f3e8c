import AASandbox
import ArgumentParser
import FoundationEssentials
import Glibc

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one command in a fresh sandbox; its exit code passes through.",
        discussion: """
            Exit codes: the command's own; 128+N when it was killed by signal N; 124 when it ran out of \
            wall-clock time; 125 when the sandbox could not be built; 127 when the command could not be started.
            """
    )

    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Capture the output and print the result record as JSON instead of streaming.")
    var json = false

    @Flag(help: "Pass this process's stdin to the command (default: /dev/null).")
    var stdin = false

    @Argument(parsing: .remaining, help: ArgumentHelp("The command and its arguments (after --).", valueName: "command"))
    var command: [String] = []

    mutating func run() async throws {
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ValidationError("give a command after --, e.g. aa-sandbox run -- /bin/echo hi") }
        let spec = try sandbox.spec()
        var request = ExecRequest(.argv(command))
        if !json {
            request.passthrough = (stdin: stdin ? 0 : -1, stdout: 1, stderr: 2)
        } else if stdin {
            request.stdin = readStandardInput()
        }
        if request.passthrough?.stdin == -1 {
            request.passthrough?.stdin = open("/dev/null", O_RDONLY)
        }
        let runtime = try openRuntime(for: spec)
        defer { runtime.shutdown() }
        let result: ExecResult
        do {
            result = try await Sandbox.run(spec, request, runtime: runtime)
        } catch {
            throw report(error)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            writeAll(1, Array(try encoder.encode(ResultRecord(result))) + [0x0a])
        }
        if result.timedOut {
            if !json { writeErr("aa-sandbox: wall-clock limit reached, command killed\n") }
            throw ExitCode(124)
        }
        throw ExitCode(result.shellStatus)
    }
}

/// The JSON form of a result: text streams decoded leniently, byte counts and flags kept.
struct ResultRecord: Encodable {
    var exitCode: Int32?
    var signal: Int32?
    var timedOut: Bool
    var oomKilled: Bool
    var stdout: String
    var stderr: String
    var stdoutBytes: Int
    var stderrBytes: Int
    var stdoutTruncated: Bool
    var stderrTruncated: Bool
    var wallSeconds: Double
    var userCPUSeconds: Double
    var systemCPUSeconds: Double
    var maxRSSKilobytes: Int

    init(_ r: ExecResult) {
        exitCode = r.exitCode
        signal = r.signal
        timedOut = r.timedOut
        oomKilled = r.oomKilled
        stdout = r.stdoutText
        stderr = r.stderrText
        stdoutBytes = r.stdoutBytes
        stderrBytes = r.stderrBytes
        stdoutTruncated = r.stdoutTruncated
        stderrTruncated = r.stderrTruncated
        wallSeconds = r.wallSeconds
        userCPUSeconds = r.userCPUSeconds
        systemCPUSeconds = r.systemCPUSeconds
        maxRSSKilobytes = r.maxRSSKilobytes
    }
}
