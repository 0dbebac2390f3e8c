import Foundation

/// Everything `task.toml` (Harbor task schema 1.x) can say, with Harbor's defaults.
public struct TaskConfig: Sendable, Codable, Equatable {
    public static let currentSchemaVersion = "1.3"

    public struct Author: Sendable, Codable, Equatable {
        public var name: String
        public var email: String?
    }

    /// `[task]`.
    public struct TaskSection: Sendable, Codable, Equatable {
        public var name: String
        public var description: String = ""
        public var authors: [Author] = []
        public var keywords: [String] = []
    }

    /// An entry of `artifacts`: a path inside the environment collected into the trial's artifacts folder.
    public struct Artifact: Sendable, Codable, Equatable {
        public var source: String
        public var destination: String?
        public var exclude: [String] = []
    }

    /// `network_mode` of Harbor.
    public enum NetworkMode: String, Sendable, Codable, Equatable {
        case `public`
        case noNetwork = "no-network"
        case allowlist
    }

    public struct Healthcheck: Sendable, Codable, Equatable {
        public var command: String
        public var intervalSec: Double = 5
        public var timeoutSec: Double = 30
        public var startPeriodSec: Double = 0
        public var startIntervalSec: Double = 5
        public var retries: Int = 3
    }

    public struct MCPServer: Sendable, Codable, Equatable {
        public var name: String
        public var transport: String = "sse"
        public var url: String?
        public var command: String?
        public var args: [String] = []
    }

    public struct TPU: Sendable, Codable, Equatable {
        public var type: String
        public var topology: String?
    }

    /// `[environment]` (also the shape of `[verifier.environment]`).
    public struct Environment: Sendable, Codable, Equatable {
        public var buildTimeoutSec: Double = 600
        public var dockerImage: String?
        public var os: String = "linux"
        public var cpus: Double?
        public var memoryMB: Int?
        public var storageMB: Int?
        public var gpus: Int?
        public var gpuTypes: [String]?
        public var tpu: TPU?
        public var networkMode: NetworkMode = .public
        public var allowedHosts: [String] = []
        public var allowInternet: Bool?
        public var env: [String: String] = [:]
        public var mcpServers: [MCPServer] = []
        public var skillsDir: String?
        public var workdir: String?
        public var healthcheck: Healthcheck?
    }

    /// `[verifier]`.
    public struct Verifier: Sendable, Codable, Equatable {
        public var timeoutSec: Double = 600
        public var env: [String: String] = [:]
        public var user: String?
        public var environmentMode: String?
        public var environment: Environment?
        public var networkMode: NetworkMode?
        public var allowedHosts: [String] = []
    }

    /// `[agent]`.
    public struct Agent: Sendable, Codable, Equatable {
        /// nil: no time limit.
        public var timeoutSec: Double?
        public var user: String?
        public var networkMode: NetworkMode?
        public var allowedHosts: [String] = []
    }

    /// `[solution]`.
    public struct Solution: Sendable, Codable, Equatable {
        public var env: [String: String] = [:]
    }

    /// `[[steps]]` of a multi-step task.
    public struct Step: Sendable, Codable, Equatable {
        public var name: String
        public var agent: Agent = Agent()
        public var verifier: Verifier = Verifier()
        public var minReward: Double?
        public var healthcheck: Healthcheck?
        public var artifacts: [Artifact] = []
    }

    public var schemaVersion: String = currentSchemaVersion
    public var source: String?
    public var multiStepRewardStrategy: String?
    public var artifacts: [Artifact] = []
    public var task: TaskSection?
    public var metadata: [String: JSONValue] = [:]
    public var verifier = Verifier()
    public var agent = Agent()
    public var solution = Solution()
    public var environment = Environment()
    public var steps: [Step]?

    public init() {}
}

extension TaskConfig {
    /// Parses and validates `task.toml` text; `fail(field, message)` builds the error.
    /// Returns the config and the dotted paths of keys it does not know (warnings, as Harbor ignores them).
    static func parse(_ text: String, fail: @escaping @Sendable (String, String) -> TaskError) throws(TaskError) -> (TaskConfig, [String]) {
        let root: [String: JSONValue]
        do {
            root = try TOMLDocument.parse(text)
        } catch {
            throw fail(error.line > 0 ? "line \(error.line)" : "", "not valid TOML: \(error.message)")
        }
        let r = FieldReader(root, path: "", fail: fail)
        var c = TaskConfig()
        var unknown = r.unknownKeys([
            "schema_version", "version", "source", "multi_step_reward_strategy", "artifacts", "task", "metadata",
            "verifier", "agent", "solution", "environment", "steps",
        ])
        var declared = try r.string("schema_version")
        if declared == nil { declared = try r.string("version") }
        if let v = declared {
            guard v.hasPrefix("1.") || v == "1" else {
                throw r.error(r.values["schema_version"] != nil ? "schema_version" : "version", "schema \(v) is not supported (1.x is)")
            }
            c.schemaVersion = v
        }
        c.source = try r.string("source")
        c.multiStepRewardStrategy = try r.oneOf("multi_step_reward_strategy", ["mean", "final"])
        c.artifacts = try artifacts(r, "artifacts")
        if let t = try r.table("task") {
            unknown += t.unknownKeys(["name", "description", "authors", "keywords"])
            guard let name = try t.string("name"), !name.isEmpty else { throw t.error("name", "is required when [task] is present") }
            var section = TaskSection(name: name)
            section.description = try t.string("description") ?? ""
            section.keywords = try t.strings("keywords") ?? []
            for a in try t.tables("authors") ?? [] {
                guard let n = try a.string("name") else { throw a.error("name", "is required") }
                section.authors.append(Author(name: n, email: try a.string("email")))
            }
            c.task = section
        }
        if let m = r.values["metadata"] {
            guard case .object(let table) = m else { throw r.error("metadata", "must be a table, not \(m.typeName)") }
            c.metadata = table
        }
        if let v = try r.table("verifier") {
            let (verifier, u) = try verifierSection(v)
            c.verifier = verifier
            unknown += u
        }
        if let a = try r.table("agent") {
            let (agent, u) = try agentSection(a)
            c.agent = agent
            unknown += u
        }
        if let s = try r.table("solution") {
            unknown += s.unknownKeys(["env"])
            c.solution.env = try s.stringMap("env") ?? [:]
        }
        if let e = try r.table("environment") {
            let (env, u) = try environmentSection(e)
            c.environment = env
            unknown += u
        }
        if let steps = try r.tables("steps") {
            var out: [Step] = []
            for s in steps {
                unknown += s.unknownKeys(["name", "agent", "verifier", "min_reward", "healthcheck", "artifacts"])
                guard let name = try s.string("name"), !name.isEmpty else { throw s.error("name", "is required") }
                var step = Step(name: name)
                if let a = try s.table("agent") { step.agent = try agentSection(a).0 }
                if let v = try s.table("verifier") { step.verifier = try verifierSection(v).0 }
                step.minReward = try s.double("min_reward")
                if let h = try s.table("healthcheck") { step.healthcheck = try healthcheck(h) }
                step.artifacts = try artifacts(s, "artifacts")
                out.append(step)
            }
            c.steps = out
        }
        return (c, unknown)
    }

    private static func network(_ r: FieldReader) throws(TaskError) -> (NetworkMode?, [String]) {
        let mode = try r.oneOf("network_mode", ["public", "no-network", "allowlist"]).flatMap(NetworkMode.init(rawValue:))
        let hosts = try r.strings("allowed_hosts") ?? []
        if mode == .allowlist, hosts.isEmpty { throw r.error("allowed_hosts", "is required when network_mode is \"allowlist\"") }
        return (mode, hosts)
    }

    private static func agentSection(_ a: FieldReader) throws(TaskError) -> (Agent, [String]) {
        var agent = Agent()
        agent.timeoutSec = try a.double("timeout_sec", positive: true)
        agent.user = try a.stringOrInt("user")
        (agent.networkMode, agent.allowedHosts) = try network(a)
        return (agent, a.unknownKeys(["timeout_sec", "user", "network_mode", "allowed_hosts"]))
    }

    private static func verifierSection(_ v: FieldReader) throws(TaskError) -> (Verifier, [String]) {
        var verifier = Verifier()
        var unknown = v.unknownKeys(["timeout_sec", "env", "user", "environment_mode", "environment", "network_mode", "allowed_hosts"])
        verifier.timeoutSec = try v.double("timeout_sec", positive: true) ?? 600
        verifier.env = try v.stringMap("env") ?? [:]
        verifier.user = try v.stringOrInt("user")
        verifier.environmentMode = try v.oneOf("environment_mode", ["shared", "separate"])
        if let e = try v.table("environment") {
            let (env, u) = try environmentSection(e)
            verifier.environment = env
            unknown += u
        }
        (verifier.networkMode, verifier.allowedHosts) = try network(v)
        return (verifier, unknown)
    }

    private static func healthcheck(_ h: FieldReader) throws(TaskError) -> Healthcheck {
        guard let command = try h.string("command"), !command.isEmpty else { throw h.error("command", "is required") }
        var check = Healthcheck(command: command)
        check.intervalSec = try h.double("interval_sec", positive: true) ?? 5
        check.timeoutSec = try h.double("timeout_sec", positive: true) ?? 30
        check.startPeriodSec = try h.double("start_period_sec") ?? 0
        check.startIntervalSec = try h.double("start_interval_sec", positive: true) ?? 5
        check.retries = try h.int("retries", min: 0) ?? 3
        return check
    }

    private static func environmentSection(_ e: FieldReader) throws(TaskError) -> (Environment, [String]) {
        var env = Environment()
        let unknown = e.unknownKeys([
            "build_timeout_sec", "docker_image", "os", "cpus", "memory_mb", "storage_mb", "memory", "storage", "gpus",
            "gpu_types", "tpu", "network_mode", "allowed_hosts", "allow_internet", "env", "mcp_servers", "skills_dir",
            "workdir", "healthcheck",
        ])
        env.buildTimeoutSec = try e.double("build_timeout_sec", positive: true) ?? 600
        env.dockerImage = try e.string("docker_image")
        env.os = try e.oneOf("os", ["linux", "windows"]) ?? "linux"
        env.cpus = try e.double("cpus", positive: true)
        env.memoryMB = try e.int("memory_mb", min: 4)
        if env.memoryMB == nil, let legacy = try e.string("memory") { env.memoryMB = try megabytes(legacy, e, "memory") }
        env.storageMB = try e.int("storage_mb", min: 1)
        if env.storageMB == nil, let legacy = try e.string("storage") { env.storageMB = try megabytes(legacy, e, "storage") }
        env.gpus = try e.int("gpus", min: 0)
        env.gpuTypes = try e.strings("gpu_types")
        if let t = try e.table("tpu") {
            guard let type = try t.string("type") else { throw t.error("type", "is required") }
            env.tpu = TPU(type: type, topology: try t.string("topology"))
        }
        let (mode, hosts) = try network(e)
        env.allowedHosts = hosts
        env.allowInternet = try e.bool("allow_internet")
        env.networkMode = mode ?? (env.allowInternet == false ? .noNetwork : .public)
        env.env = try e.stringMap("env") ?? [:]
        for s in try e.tables("mcp_servers") ?? [] {
            guard let name = try s.string("name") else { throw s.error("name", "is required") }
            var server = MCPServer(name: name)
            let transport = try s.oneOf("transport", ["sse", "streamable-http", "http", "stdio"]) ?? "sse"
            server.transport = transport == "http" ? "streamable-http" : transport
            server.url = try s.string("url")
            server.command = try s.string("command")
            server.args = try s.strings("args") ?? []
            if server.transport == "stdio", server.command == nil { throw s.error("command", "is required for the stdio transport") }
            if server.transport != "stdio", server.url == nil { throw s.error("url", "is required for the \(server.transport) transport") }
            env.mcpServers.append(server)
        }
        env.skillsDir = try e.string("skills_dir")
        env.workdir = try e.string("workdir")
        if let w = env.workdir, !w.hasPrefix("/") { throw e.error("workdir", "must be an absolute path, got \"\(w)\"") }
        if let h = try e.table("healthcheck") { env.healthcheck = try healthcheck(h) }
        return (env, unknown)
    }

    private static func artifacts(_ r: FieldReader, _ key: String) throws(TaskError) -> [Artifact] {
        guard let v = r.values[key] else { return [] }
        guard case .array(let items) = v else { throw r.error(key, "must be an array, not \(v.typeName)") }
        var out: [Artifact] = []
        for (i, item) in items.enumerated() {
            switch item {
            case .string(let s): out.append(Artifact(source: s))
            case .object(let t):
                let a = FieldReader(t, path: "\(r.field(key))[\(i)]", fail: r.fail)
                guard let source = try a.string("source") else { throw a.error("source", "is required") }
                out.append(Artifact(source: source, destination: try a.string("destination"), exclude: try a.strings("exclude") ?? []))
            default: throw r.error("\(key)[\(i)]", "must be a path or a table with source, not \(item.typeName)")
            }
        }
        return out
    }

    /// Converts Harbor's legacy size strings ("2G", "512M", "1024") to megabytes.
    private static func megabytes(_ text: String, _ r: FieldReader, _ key: String) throws(TaskError) -> Int {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Double)] = [("GB", 1024), ("G", 1024), ("MB", 1), ("M", 1), ("KB", 1.0 / 1024), ("K", 1.0 / 1024)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            if let n = Double(t.dropLast(suffix.count)) { return Int((n * factor).rounded(.up)) }
        }
        if let n = Double(t) { return Int(n) }
        throw r.error(key, "is not a size like \"2G\" or \"512M\": \"\(text)\"")
    }
}
