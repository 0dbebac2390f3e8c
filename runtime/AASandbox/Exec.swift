/// A command to run in a sandbox.
public struct ExecRequest: Sendable {
    public enum Command: Sendable, Equatable {
        /// argv[0] is looked up in PATH inside the sandbox.
        case argv([String])
        /// Run by /bin/sh -c.
        case shell(String)
    }

    public var command: Command
    public var stdin: [UInt8]?
    /// KEY=VALUE entries; nil uses the sandbox's environment.
    public var environment: [String]?
    /// nil uses the sandbox's working directory.
    public var workingDirectory: String?
    /// Seconds until the command's process group is killed; nil: no limit beyond the sandbox's.
    public var timeoutSeconds: Double?
    /// Overrides the sandbox's uid/gid for this command.
    public var uid: UInt32?
    public var gid: UInt32?
    /// Bytes kept per stream; nil uses the sandbox's limit.
    public var outputLimit: Int?
    /// Descriptors handed to the command as stdin, stdout and stderr instead of captured pipes
    /// (streams go straight through, nothing is counted). Used by interactive front ends.
    public var passthrough: (stdin: Int32, stdout: Int32, stderr: Int32)?

    public init(
        _ command: Command, stdin: [UInt8]? = nil, environment: [String]? = nil, workingDirectory: String? = nil,
        timeoutSeconds: Double? = nil, uid: UInt32? = nil, gid: UInt32? = nil, outputLimit: Int? = nil
    ) {
        self.command = command
        self.stdin = stdin
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
        self.uid = uid
        self.gid = gid
        self.outputLimit = outputLimit
    }

    var argv: [String] {
        switch command {
        case .argv(let a): return a
        case .shell(let s): return ["/bin/sh", "-c", s]
        }
    }
}

/// What a command did: how it ended, what it printed (capped) and what it cost.
public struct ExecResult: Sendable, Codable, Equatable {
    /// Exit status when the command exited normally.
    public var exitCode: Int32?
    /// Terminating signal when it was killed.
    public var signal: Int32?
    /// The command ran past its timeout or the sandbox's wall-clock limit and was killed.
    public var timedOut: Bool
    /// The kernel's OOM killer killed a process of the sandbox while the command ran.
    public var oomKilled: Bool
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Bytes the command wrote to each stream, including what was not kept.
    public var stdoutBytes: Int
    public var stderrBytes: Int
    public var stdoutTruncated: Bool { stdoutBytes > stdout.count }
    public var stderrTruncated: Bool { stderrBytes > stderr.count }
    public var wallSeconds: Double
    public var userCPUSeconds: Double
    public var systemCPUSeconds: Double
    public var maxRSSKilobytes: Int
    /// Pid of the command inside the sandbox.
    public var pid: Int32

    /// The exit code a shell would report: the status, or 128 + signal.
    public var shellStatus: Int32 { exitCode ?? (128 + (signal ?? 0)) }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}
