import Foundation

/// A task agent's harness: a directory of data (`harness.toml`, `system.md`, `tools/`, `skills/`, `agents/`) that
/// the fixed agent loop runs. Editing the files changes the agent; no code changes.
public struct Harness: Sendable {
    /// How the agent asks the model for actions.
    public enum ActionProtocol: String, Sendable, CaseIterable {
        /// The provider's native tool calls.
        case tools
        /// A JSON object per reply, constrained by a JSON schema (`response_format`).
        case json
        /// Tool calls written as JSON in the reply text, read by a tolerant parser.
        case text
    }

    public struct Model: Sendable, Equatable {
        public var provider: ModelProvider = .openai
        public var baseURL = "http://127.0.0.1:8080/v1"
        public var name = "default"
        /// The environment variable holding the API key; nil: no key is sent.
        public var apiKeyEnv: String?
        public var maxConcurrent = 64
        public var requestTimeoutSeconds = 300.0
        public var totalTimeoutSeconds = 900.0
        public var maxAttempts = 6
        /// How the JSON action schema is sent (OpenAI-compatible servers differ).
        public var responseFormat = ResponseFormatStyle.jsonSchema
    }

    public struct Agent: Sendable, Equatable {
        public var actionProtocol: ActionProtocol = .tools
        public var toolTimeoutSeconds = 120.0
        /// Tool output longer than this is cut; the full text is saved in the sandbox.
        public var maxOutputBytes = 10_000
        /// Where `skills/` is copied inside the sandbox.
        public var skillsPath = "/tmp/aa/skills"
        /// Where full tool outputs are saved inside the sandbox.
        public var outputsPath = "/tmp/aa/outputs"
    }

    /// Limits that end the agent's run; nil: no limit.
    public struct Budget: Sendable, Equatable {
        public var turns = 30
        public var tokens: Int?
        public var dollars: Double?
        public var wallSeconds: Double?
    }

    /// Checks before a finish is accepted.
    public struct Verification: Sendable, Equatable {
        /// Extra turns the agent gets to fix what the validators report.
        public var turns = 0
        /// Commands run in the sandbox; each must exit 0.
        public var validators: [String] = []
        public var timeoutSeconds = 120.0
    }

    public var directory: String
    public var model = Model()
    public var sampling = ModelSampling()
    public var agent = Agent()
    public var budget = Budget()
    public var verification = Verification()
    /// Prices per model name.
    public var prices: [String: ModelPrice] = [:]
    public var systemPrompt = ""
    public var tools: [HarnessTool] = []
    /// Files of `skills/`, by path relative to it.
    public var skills: [String: [UInt8]] = [:]
    /// Subagents of `agents/`, callable as tools.
    public var subagents: [HarnessSubagent] = []

    /// Reads and validates a harness directory.
    public static func load(directory: String) throws(HarnessError) -> Harness {
        var harness = Harness(directory: directory)
        let configPath = directory + "/harness.toml"
        guard let configText = readText(configPath) else {
            throw HarnessError(file: "harness.toml", message: "cannot read \(configPath)")
        }
        try harness.apply(configText)
        guard let system = readText(directory + "/system.md") else {
            throw HarnessError(file: "system.md", message: "cannot read \(directory)/system.md")
        }
        harness.systemPrompt = system.trimmingCharacters(in: .whitespacesAndNewlines)
        let toolFiles = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/tools")) ?? [])
            .filter { $0.hasSuffix(".toml") }.sorted()
        for file in toolFiles {
            let relative = "tools/" + file
            guard let text = readText(directory + "/" + relative) else { throw HarnessError(file: relative, message: "cannot read the file") }
            let tool = try HarnessTool.parse(text, file: relative)
            if harness.tools.contains(where: { $0.name == tool.name }) {
                throw HarnessError(file: relative, line: TOMLKeyLocator.line(of: "name", in: text), field: "name",
                                   message: "another tool is already named \"\(tool.name)\"")
            }
            harness.tools.append(tool)
        }
        if harness.agent.actionProtocol != .text, harness.tools.isEmpty {
            throw HarnessError(file: "tools", message: "the harness has no tools (one .toml file per tool)")
        }
        harness.skills = try readSkills(directory + "/skills")
        let agentFiles = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/agents")) ?? [])
            .filter { $0.hasSuffix(".toml") }.sorted()
        for file in agentFiles {
            let relative = "agents/" + file
            guard let text = readText(directory + "/" + relative) else { throw HarnessError(file: relative, message: "cannot read the file") }
            let subagent = try HarnessSubagent.parse(text, file: relative, directory: directory, toolNames: harness.tools.map(\.name))
            if harness.tools.contains(where: { $0.name == subagent.name }) || harness.subagents.contains(where: { $0.name == subagent.name }) {
                throw HarnessError(file: relative, line: TOMLKeyLocator.line(of: "name", in: text), field: "name",
                                   message: "a tool or another subagent is already named \"\(subagent.name)\"")
            }
            harness.subagents.append(subagent)
        }
        return harness
    }

    /// The price of the configured model, if the table has one.
    public var price: ModelPrice? { prices[model.name] }

    private mutating func apply(_ text: String) throws(HarnessError) {
        let file = "harness.toml"
        let values: [String: JSONValue]
        do { values = try TOMLDocument.parse(text) } catch {
            throw HarnessError(file: file, line: error.line, message: error.message)
        }
        let root = FieldReader(values, path: "") { field, message in TaskError(task: "harness", file: file, location: field, message: message) }
        do throws(TaskError) {
            try Self.rejectUnknown(root, ["model", "sampling", "agent", "budget", "verification", "prices"])
            if let m = try root.table("model") {
                try Self.rejectUnknown(m, ["provider", "base_url", "name", "api_key_env", "max_concurrent", "request_timeout_sec",
                                           "total_timeout_sec", "max_attempts", "response_format"])
                if let p = try m.oneOf("provider", ModelProvider.allCases.map(\.rawValue)) { model.provider = ModelProvider(rawValue: p)! }
                if model.provider == .anthropic { model.baseURL = "https://api.anthropic.com/v1" }
                if let v = try m.string("base_url") {
                    guard v.hasPrefix("http://") || v.hasPrefix("https://") else { throw m.error("base_url", "must start with http:// or https://") }
                    model.baseURL = v
                }
                if let v = try m.string("name") { model.name = v }
                if let v = try m.string("api_key_env") { model.apiKeyEnv = v }
                if let v = try m.int("max_concurrent", min: 1) { model.maxConcurrent = v }
                if let v = try m.double("request_timeout_sec", positive: true) { model.requestTimeoutSeconds = v }
                if let v = try m.double("total_timeout_sec", positive: true) { model.totalTimeoutSeconds = v }
                if let v = try m.int("max_attempts", min: 1) { model.maxAttempts = v }
                if let v = try m.oneOf("response_format", ResponseFormatStyle.allCases.map(\.rawValue)) {
                    model.responseFormat = ResponseFormatStyle(rawValue: v)!
                }
            }
            if let s = try root.table("sampling") {
                try Self.rejectUnknown(s, ["temperature", "top_p", "max_tokens"])
                sampling.temperature = try s.double("temperature")
                sampling.topP = try s.double("top_p")
                if let v = try s.int("max_tokens", min: 1) { sampling.maxTokens = v }
            }
            if let a = try root.table("agent") {
                try Self.rejectUnknown(a, ["action_protocol", "tool_timeout_sec", "max_output_bytes", "skills_path", "outputs_path"])
                if let p = try a.oneOf("action_protocol", ActionProtocol.allCases.map(\.rawValue)) { agent.actionProtocol = ActionProtocol(rawValue: p)! }
                if let v = try a.double("tool_timeout_sec", positive: true) { agent.toolTimeoutSeconds = v }
                if let v = try a.int("max_output_bytes", min: 100) { agent.maxOutputBytes = v }
                if let v = try a.string("skills_path") {
                    guard v.hasPrefix("/") else { throw a.error("skills_path", "must be an absolute path") }
                    agent.skillsPath = v
                }
                if let v = try a.string("outputs_path") {
                    guard v.hasPrefix("/") else { throw a.error("outputs_path", "must be an absolute path") }
                    agent.outputsPath = v
                }
            }
            if let b = try root.table("budget") {
                try Self.rejectUnknown(b, ["turns", "tokens", "dollars", "wall_sec"])
                if let v = try b.int("turns", min: 1) { budget.turns = v }
                budget.tokens = try b.int("tokens", min: 1)
                budget.dollars = try b.double("dollars", positive: true)
                budget.wallSeconds = try b.double("wall_sec", positive: true)
            }
            if let v = try root.table("verification") {
                try Self.rejectUnknown(v, ["turns", "validators", "timeout_sec"])
                if let n = try v.int("turns", min: 0) { verification.turns = n }
                if let list = try v.strings("validators") { verification.validators = list }
                if let t = try v.double("timeout_sec", positive: true) { verification.timeoutSeconds = t }
            }
            if let table = try root.table("prices") {
                for name in table.values.keys.sorted() {
                    guard let p = try table.table(name) else { continue }
                    try Self.rejectUnknown(p, ["input_per_mtok", "output_per_mtok", "cached_input_per_mtok"])
                    guard let input = try p.double("input_per_mtok"), let output = try p.double("output_per_mtok") else {
                        throw p.error("input_per_mtok", "a price needs input_per_mtok and output_per_mtok")
                    }
                    prices[name] = ModelPrice(inputPerMTok: input, outputPerMTok: output, cachedInputPerMTok: try p.double("cached_input_per_mtok"))
                }
            }
        } catch {
            throw HarnessError(file: file, line: TOMLKeyLocator.line(of: error.location, in: text), field: error.location, message: error.message)
        }
    }

    static func rejectUnknown(_ reader: FieldReader, _ known: Set<String>) throws(TaskError) {
        if let unknown = reader.unknownKeys(known).first {
            throw reader.fail(unknown, "unknown field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private static func readText(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func readSkills(_ root: String) throws(HarnessError) -> [String: [UInt8]] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else { return [:] }
        var files: [String: [UInt8]] = [:]
        var total = 0
        for relative in (FileManager.default.subpaths(atPath: root) ?? []).sorted() {
            let path = root + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HarnessError(file: "skills/" + relative, message: "cannot read the file")
            }
            total += data.count
            guard total <= 16 << 20 else { throw HarnessError(file: "skills", message: "skills/ holds more than 16 MB") }
            files[relative] = Array(data)
        }
        return files
    }
}
