import AASandbox
import ArgumentParser
import Glibc
import Logging

/// The CLI's logger: warnings and errors on stderr; AA_LOG_LEVEL=debug shows more.
let cliLogger: Logger = {
    var logger = Logger(label: "aa-sandbox")
    logger.logLevel = Logger.Level(rawValue: getenv("AA_LOG_LEVEL").map { String(cString: $0) } ?? "warning") ?? .warning
    return logger
}()

@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aa-sandbox",
        abstract: "Run commands in a hardened Linux sandbox: namespaces, seccomp, no capabilities, cgroup limits, overlay root.",
        discussion: """
            Every sandbox gets its own user (root inside maps to an unprivileged host range), mount, pid, \
            network (loopback only), ipc, uts and cgroup namespaces; all capabilities dropped; no_new_privs; \
            a seccomp allowlist; a read-only base root with a size-capped writable layer; memory, pids and \
            CPU limits; and nothing left behind when it ends.
            """,
        subcommands: [Run.self, Shell.self, Probe.self, Bench.self, Serve.self, ServerControl.self]
    )
}

/// A runtime for this command, or an exit with the reason it cannot start. `slots` is how many
/// sandboxes are kept ready (one for a single command); a spec without memory, pids or CPU limits
/// needs no cgroups.
func openRuntime(slots: Int = 1, for spec: SandboxSpec? = nil) throws -> SandboxRuntime {
    var configuration = SandboxRuntime.Configuration()
    configuration.spawners = slots
    configuration.stateDirectory = ServerPaths.configuredStateDirectory
    if let limits = spec?.limits, limits.memoryBytes == nil, limits.pids == nil, limits.cpus == nil {
        configuration.cgroups = false
    }
    do throws(SandboxError) {
        return try SandboxRuntime(configuration: configuration, logger: cliLogger)
    } catch {
        throw report(error)
    }
}

/// Prints a failure the way every subcommand does (on stderr, or the descriptor given) and returns
/// the exit code for it: 127 when a command could not be started, 125 when the sandbox could not be
/// built or used.
func report(_ error: any Error, to fd: Int32 = 2) -> ExitCode {
    writeAll(fd, Array("aa-sandbox: \(error)\n".utf8))
    if let sandboxError = error as? SandboxError, sandboxError.code == .execFailed { return ExitCode(127) }
    return ExitCode(125)
}
