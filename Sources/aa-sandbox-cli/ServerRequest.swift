import AASandbox
import ArgumentParser
import CAutoAgentFrontEnd
import Glibc
import Logging

extension FrontEndServer {
    /// Runs one front end's `run` request as the in-process CLI would, with the front end's
    /// arguments, working directory and stdio: the same parser, messages and exit codes. The exit
    /// code goes back to the front end unless it is gone.
    func serveRun(_ message: FrontEndMessage, session: ServerSession) async {
        let arguments = message.strings(AAF_K_ARG)
        let environment = message.strings(AAF_K_ENV)
        let io = message.fds.count == 3 ? RunIO(stdin: message.fds[0], stdout: message.fds[1], stderr: message.fds[2]) : nil
        var status: Int32 = 125
        if let io {
            status = await execute(arguments, io: io, workingDirectory: message.string(AAF_K_CWD) ?? "/", environment: environment, session: session)
            if let level = environment.last(where: { $0.hasPrefix("AA_LOG_LEVEL=") })?.dropFirst(13), level == "debug" || level == "trace" {
                writeAll(io.stderr, Array("aa-sandbox: served by the sandbox server (pid \(getpid())), exit code \(status)\n".utf8))
            }
        } else {
            logger.warning("a run request without its three descriptors", metadata: ["fds": "\(message.fds.count)"])
        }
        for fd in message.fds { close(fd) }
        if !session.isGone {
            var reply = FrontEndMessage(AAF_M_EXIT)
            reply.add(AAF_K_STATUS, status)
            reply.send(on: session.fd)
        }
        finished(session)
    }

    private func execute(_ arguments: [String], io: RunIO, workingDirectory: String, environment: [String], session: ServerSession) async -> Int32 {
        do {
            var parsed = try parses.parse(arguments)
            guard let command = parsed as? Run else {
                // `run --help` parses to the parser's help command, whose run() throws the help text.
                try parsed.run()
                return 0
            }
            try await command.execute(io: io, workingDirectory: workingDirectory, runtime: runtime, session: session)
            return 0
        } catch let code as ExitCode {
            return session.interruptionExitCode ?? code.rawValue
        } catch {
            if let code = session.interruptionExitCode { return code }
            let code = SandboxCommand.exitCode(for: error)
            let text = SandboxCommand.fullMessage(for: error, columns: Self.columns(environment: environment, output: io.stdout))
            if !text.isEmpty { writeAll(code == .success ? io.stdout : io.stderr, Array((text + "\n").utf8)) }
            return code.rawValue
        }
    }

    /// The width the front end's own CLI would wrap help and usage to: $COLUMNS, else its
    /// stdout's terminal, else 80.
    static func columns(environment: [String], output: Int32) -> Int {
        if let value = environment.last(where: { $0.hasPrefix("COLUMNS=") }).flatMap({ Int($0.dropFirst(8)) }) { return value }
        let terminal = Int(aaf_terminal_columns(output))
        return terminal > 0 ? terminal : 80
    }
}
