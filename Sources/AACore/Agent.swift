import AAAnalytics
import AASandbox
import Logging

/// The plug point for agents: something that works on a task inside the trial's sandbox.
/// Built-ins are `oracle` and `nop`; harness agents conform to this protocol and register in
/// `AgentRegistry`.
public protocol TrialAgent: Sendable {
    /// Harbor's agent name (e.g. "oracle").
    var name: String { get }
    var version: String { get }
    /// The model the agent calls, if any.
    var modelName: String? { get }
    /// Whether the trial mounts the task's `solution/` at /solution (only the oracle may).
    var needsSolution: Bool { get }
    /// Works on the instruction until done; the runner enforces the time limit and kills every
    /// process the agent left once this returns or runs out of time.
    func run(_ context: AgentContext) async throws -> AgentOutcome
}

/// What an agent gets: the instruction, a way to run commands in the sandbox, the trace, and its logs folder.
public struct AgentContext: Sendable {
    public var instruction: String
    public var task: TaskDefinition
    public var session: AgentSession
    public var trace: TraceRecorder
    /// Host path of the trial's `agent/` folder (mounted at /logs/agent inside).
    public var logsDirectory: String
    /// Seconds the agent has, after multipliers; nil: no limit.
    public var timeoutSeconds: Double?
    public var logger: Logger
}

extension AgentContext {
    /// Reads the output a command wrote to `log` in the agent's logs folder and records it in the trace as
    /// the observation of `tool` at step 1; returns the output.
    func recordLoggedCommand(tool: String, log: String, result: ExecResult) -> String {
        let bytes = (try? FileTree.readRegularFile(logsDirectory + "/" + log, limit: 1 << 20)) ?? nil
        let output = String(decoding: bytes ?? [], as: UTF8.self)
        trace.record(.observation, step: 1) {
            $0.tool = tool
            $0.exitCode = Int(result.shellStatus)
            $0.excerpt = String(output.suffix(2000))
            $0.stdoutBytes = output.utf8.count
            $0.timedOut = result.timedOut
        }
        return output
    }
}

/// What an agent reports when it finishes (Harbor's AgentContext fields).
public struct AgentOutcome: Sendable {
    public var exitCode: Int32?
    public var inputTokens: Int?
    public var cacheTokens: Int?
    public var outputTokens: Int?
    public var costUSD: Double?
    public var metadata: [String: JSONValue]
    /// Written to `agent/trajectory.json` when present.
    public var trajectory: Trajectory?

    public init(exitCode: Int32? = nil, inputTokens: Int? = nil, cacheTokens: Int? = nil, outputTokens: Int? = nil,
                costUSD: Double? = nil, metadata: [String: JSONValue] = [:], trajectory: Trajectory? = nil) {
        self.exitCode = exitCode
        self.inputTokens = inputTokens
        self.cacheTokens = cacheTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.metadata = metadata
        self.trajectory = trajectory
    }
}

/// Runs commands in the trial's sandbox as the task's agent user, in its working directory and
/// environment (Harbor's `environment.exec`).
public struct AgentSession: Sendable {
    let sandbox: Sandbox
    public let workingDirectory: String
    public let environment: [String]
    let uid: UInt32
    let gid: UInt32
    /// The image's shell: bash when it has one, else sh.
    let shell: String

    /// Runs `bash -c command` (sh when the image has no bash).
    public func exec(_ command: String, environment extra: [String: String] = [:], workingDirectory: String? = nil,
                     timeoutSeconds: Double? = nil, stdin: [UInt8]? = nil) async throws -> ExecResult {
        var env = environment
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { env.append("\(k)=\(v)") }
        var request = ExecRequest(.argv([shell, "-c", command]), stdin: stdin, environment: env,
                                  workingDirectory: workingDirectory ?? self.workingDirectory, timeoutSeconds: timeoutSeconds)
        request.uid = uid
        request.gid = gid
        return try await sandbox.exec(request)
    }
}

/// Agents by name.
public enum AgentRegistry {
    /// Options from the command line (`-m`, `--ak k=v`, `--ae K=V`, `--harness DIR`).
    public struct Options: Sendable, Equatable, Codable {
        public var model: String?
        public var kwargs: [String: String] = [:]
        public var env: [String: String] = [:]
        /// The harness directory of the `harness` agent.
        public var harness: String?
        public init(model: String? = nil, kwargs: [String: String] = [:], env: [String: String] = [:], harness: String? = nil) {
            self.model = model
            self.kwargs = kwargs
            self.env = env
            self.harness = harness
        }
    }

    public static let builtInNames = ["oracle", "nop", "harness", "command"]

    public struct MissingHarness: Error, CustomStringConvertible {
        public var description: String { "the harness agent needs --harness DIR (see examples/harness)" }
    }

    public struct UnknownAgent: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "unknown agent \"\(name)\" (available: \(AgentRegistry.builtInNames.joined(separator: ", ")))" }
    }

    /// The agent `name`; throws `UnknownAgent`, `MissingHarness` or `HarnessError`.
    public static func make(_ name: String, options: Options = Options()) throws -> any TrialAgent {
        switch name {
        case "oracle": return OracleAgent(env: options.env)
        case "nop": return NopAgent()
        case "harness":
            guard let directory = options.harness else { throw MissingHarness() }
            return try HarnessAgent.make(harness: try Harness.load(directory: directory), options: options)
        case "command":
            return try CommandAgent.make(options: options, harness: try options.harness.map { directory throws(HarnessError) in try Harness.load(directory: directory) })
        default: throw UnknownAgent(name: name)
        }
    }
}
