import AASandbox
import ArgumentParser
import FoundationEssentials
import Glibc

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one command in a fresh sandbox; its exit code passes through.",
        discussion: """
            Exit codes: the command's own; 128+N when it was killed by signal N (or aa-sandbox got signal N \
            while it ran); 124 when it ran out of wall-clock time; 125 when the sandbox could not be built; \
            127 when the command could not be started. The aa-sandbox front end hands the run to the runtime \
            server (see serve), starting one when none runs; AA_SANDBOX_SERVER=0 runs it in this process.
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
        try await execute(io: RunIO(stdin: 0, stdout: 1, stderr: 2), workingDirectory: currentDirectory(), runtime: nil, session: nil)
    }

    /// Runs the parsed command with the given stdio; relative host paths in the options are taken
    /// from `workingDirectory`. Without a runtime it opens one for this spec; a server session
    /// ends the sandbox when its front end is interrupted or gone. Ends by throwing the exit code.
    func execute(io: RunIO, workingDirectory: String, runtime shared: SandboxRuntime?, session: ServerSession?) async throws {
        var command = self.command
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ValidationError("give a command after --, e.g. aa-sandbox run -- /bin/echo hi") }
        let spec = try sandbox.spec(relativeTo: workingDirectory)
        var request = ExecRequest(.argv(command))
        var devNull: Int32 = -1
        if !json {
            if !stdin { devNull = open("/dev/null", O_RDONLY | O_CLOEXEC) }
            request.passthrough = (stdin: stdin ? io.stdin : devNull, stdout: io.stdout, stderr: io.stderr)
        } else if stdin {
            request.stdin = await readAll(io.stdin) { session?.isEnded ?? false }
        }
        defer { if devNull >= 0 { close(devNull) } }
        let runtime = try shared ?? openRuntime(for: spec)
        defer { if shared == nil { runtime.shutdown() } }
        let result: ExecResult
        do {
            if let session {
                result = try await session.run(spec, request, runtime: runtime)
            } else {
                result = try await Sandbox.run(spec, request, runtime: runtime)
            }
        } catch {
            if let code = session?.interruptionExitCode { throw ExitCode(code) }
            throw report(error, to: io.stderr)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            writeAll(io.stdout, Array(try encoder.encode(ResultRecord(result))) + [0x0a])
        }
        if result.timedOut {
            if !json { writeAll(io.stderr, Array("aa-sandbox: wall-clock limit reached, command killed\n".utf8)) }
            throw ExitCode(124)
        }
        throw ExitCode(result.shellStatus)
    }
}

/// The stdin, stdout and stderr a run uses: this process's, or a front end's (passed to the server).
struct RunIO: Sendable {
    var stdin: Int32
    var stdout: Int32
    var stderr: Int32
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
