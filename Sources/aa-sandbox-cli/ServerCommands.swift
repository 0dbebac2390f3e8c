import AASandbox
import ArgumentParser
import CAutoAgentFrontEnd
import Glibc

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve `aa-sandbox run` from one warm runtime (the aa-sandbox front end starts it when none runs).",
        discussion: """
            Listens on cli.sock in the state folder ($AA_SANDBOX_STATE, default /run/aa-sandbox; only this \
            user may connect) and runs each front end's request in a fresh sandbox, with the front end's \
            arguments, working directory and stdio, many at once. A front end that is killed takes its \
            sandbox with it. One server per state folder (it holds cli.lock); it exits after --idle-exit \
            seconds without a request, removing its socket and stopping its runtime. AA_SANDBOX_SERVER=0 \
            makes the front end run everything in-process instead.
            """
    )

    @Option(help: ArgumentHelp("Exit after this many seconds without a request.", valueName: "seconds"))
    var idleExit: Double = 600

    mutating func run() async throws {
        guard idleExit >= 0 else { throw ValidationError("--idle-exit wants seconds >= 0, got \(idleExit)") }
        let paths = ServerPaths()
        if mkdir(paths.stateDirectory, 0o700) != 0 && errno != EEXIST {
            throw report(ServerError(call: "mkdir", path: paths.stateDirectory, errno: errno))
        }
        let lock = open(paths.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw report(ServerError(call: "open", path: paths.lock, errno: errno)) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            writeErr("aa-sandbox: a server already serves \(paths.stateDirectory)\n")
            throw ExitCode(1)
        }
        signal(SIGPIPE, SIG_IGN) // a front end's stdout may close under the server
        var configuration = SandboxRuntime.Configuration()
        configuration.stateDirectory = paths.stateDirectory
        let runtime: SandboxRuntime
        do throws(SandboxError) {
            runtime = try SandboxRuntime(configuration: configuration, logger: cliLogger)
        } catch {
            throw report(error)
        }
        defer { runtime.shutdown() }
        let server: FrontEndServer
        do throws(ServerError) {
            server = try FrontEndServer(runtime: runtime, paths: paths, idleExit: idleExit, logger: cliLogger)
        } catch {
            throw report(error)
        }
        writeErr("aa-sandbox: server \(getpid()) serving \(paths.socket) (idle exit after \(formatted(idleExit, decimals: 0)) s)\n")
        await server.serve()
        writeErr("aa-sandbox: server \(getpid()) stopped\n")
    }
}

struct ServerControl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Show or stop the runtime server that serves `aa-sandbox run`.",
        subcommands: [Status.self, Stop.self]
    )

    /// Sends the server of the state folder one message and returns its reply of the expected type;
    /// nil (after saying so) when no server answers.
    static func ask(_ type: Int32, expecting: Int32, paths: ServerPaths) -> FrontEndMessage? {
        guard let connection = ServerConnection(socket: paths.socket),
              let reply = connection.ask(FrontEndMessage(type)), reply.type == expecting
        else {
            print("no server for \(paths.stateDirectory)")
            return nil
        }
        return reply
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the server of the state folder: pid, requests served, running sandboxes, slot cgroups.",
            discussion: "Exits 0 when a server runs, 1 when none does."
        )

        mutating func run() throws {
            let paths = ServerPaths()
            guard let reply = ServerControl.ask(AAF_M_STATUS, expecting: AAF_M_REPORT, paths: paths) else { throw ExitCode(1) }
            let sandboxes = reply.strings(AAF_K_SANDBOX)
            print("server pid \(reply.string(AAF_K_PID) ?? "?") serving \(paths.socket)")
            print("requests served: \(reply.string(AAF_K_SERVED) ?? "0")")
            print("running sandboxes: \(sandboxes.count)" + (sandboxes.isEmpty ? "" : " (init pids \(sandboxes.joined(separator: " ")))"))
            print("idle exit after: \(reply.string(AAF_K_IDLE_EXIT) ?? "?") s")
            for slot in reply.strings(AAF_K_SLOT) { print("slot cgroup: \(slot)") }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the server of the state folder once its running requests have ended.",
            discussion: "Waits until the server has stopped its runtime and exited (at most --timeout seconds)."
        )

        @Option(help: ArgumentHelp("Seconds to wait for the server to exit.", valueName: "seconds"))
        var timeout: Double = 60

        mutating func run() throws {
            let paths = ServerPaths()
            guard let reply = ServerControl.ask(AAF_M_STOP, expecting: AAF_M_STOPPING, paths: paths) else { return }
            let pid = reply.string(AAF_K_PID) ?? "?"
            guard waitForLock(paths.lock, seconds: timeout) else {
                writeErr("aa-sandbox: server \(pid) still runs after \(formatted(timeout, decimals: 0)) s\n")
                throw ExitCode(1)
            }
            print("stopped server \(pid)")
        }
    }
}

/// Waits until nobody holds the server lock (the server has exited); false after `seconds`.
func waitForLock(_ path: String, seconds: Double) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return true }
    defer { close(fd) }
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
        if ContinuousClock.now >= deadline { return false }
        usleep(10_000)
    }
    flock(fd, LOCK_UN)
    return true
}
