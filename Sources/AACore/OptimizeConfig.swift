import Foundation

/// Caps of an optimize run; nil: no cap.
public struct OptimizeBudgets: Sendable, Equatable, Codable {
    public var usd: Double?
    public var tokens: Int?
    /// Seconds spent in experiments (the baseline included), summed over resumes.
    public var wallSeconds: Double?
    /// Experiments after the baseline, whatever their outcome.
    public var experiments: Int?

    public init(usd: Double? = nil, tokens: Int? = nil, wallSeconds: Double? = nil, experiments: Int? = nil) {
        self.usd = usd
        self.tokens = tokens
        self.wallSeconds = wallSeconds
        self.experiments = experiments
    }

    enum CodingKeys: String, CodingKey { case usd, tokens, wallSeconds = "wall_seconds", experiments }

    /// Which cap the totals reached, as a stop reason; nil while all are below.
    public func exhausted(usd spent: Double, tokens used: Int, wallSeconds elapsed: Double, experiments done: Int) -> String? {
        if let cap = usd, spent >= cap { return String(format: "dollar budget reached ($%.4f of $%.4f)", spent, cap) }
        if let cap = tokens, used >= cap { return "token budget reached (\(used) of \(cap))" }
        if let cap = wallSeconds, elapsed >= cap { return String(format: "time budget reached (%.0f s of %.0f s)", elapsed, cap) }
        if let cap = experiments, done >= cap { return "experiment budget reached (\(done) of \(cap))" }
        return nil
    }
}

/// How the meta-agent reaches its model: a model name and `--mk` keys (provider, base_url,
/// api_key_env, response_format, action_protocol, max_turns, temperature, max_tokens); the rest
/// comes from the starting harness's `[model]`.
public struct MetaAgentSettings: Sendable, Equatable, Codable {
    public var model: String?
    public var kwargs: [String: String]

    public init(model: String? = nil, kwargs: [String: String] = [:]) {
        self.model = model
        self.kwargs = kwargs
    }
}

/// The configuration of an optimize run, written to `run.json` at the start; a resume reads it.
public struct OptimizeConfig: Sendable, Codable, Equatable {
    public var name: String
    /// Absolute path of the task suite.
    public var suite: String
    /// Absolute path of the harness the run started from.
    public var harnessSource: String
    /// Absolute path of program.md.
    public var program: String
    public var agentOptions: AgentRegistry.Options
    public var settings: TrialSettings
    public var meta: MetaAgentSettings
    public var panels: Panels
    public var seed: UInt64
    public var alpha: Double
    public var trialsPerTask: Int
    public var candidatesPerRound: Int
    /// Search tasks in the spot check (one trial each).
    public var spotTasks: Int
    /// Trials running at once in each job.
    public var concurrency: Int
    public var budgets: OptimizeBudgets

    public init(name: String, suite: String, harnessSource: String, program: String, agentOptions: AgentRegistry.Options,
                settings: TrialSettings = TrialSettings(), meta: MetaAgentSettings = MetaAgentSettings(), panels: Panels,
                seed: UInt64 = 0, alpha: Double = 0.05, trialsPerTask: Int = 3, candidatesPerRound: Int = 1, spotTasks: Int = 2,
                concurrency: Int = 4, budgets: OptimizeBudgets = OptimizeBudgets()) {
        self.name = name
        self.suite = suite
        self.harnessSource = harnessSource
        self.program = program
        self.agentOptions = agentOptions
        self.settings = settings
        self.meta = meta
        self.panels = panels
        self.seed = seed
        self.alpha = alpha
        self.trialsPerTask = trialsPerTask
        self.candidatesPerRound = candidatesPerRound
        self.spotTasks = spotTasks
        self.concurrency = concurrency
        self.budgets = budgets
    }

    enum CodingKeys: String, CodingKey {
        case name, suite, program, settings, meta, panels, seed, alpha, concurrency, budgets
        case harnessSource = "harness_source", agentOptions = "agent_options", trialsPerTask = "trials_per_task"
        case candidatesPerRound = "candidates_per_round", spotTasks = "spot_tasks"
    }

    /// The run directory's configuration file.
    public static func path(runDirectory: String) -> String { runDirectory + "/run.json" }

    public static func load(runDirectory: String) throws -> OptimizeConfig {
        try JSONFile.read(OptimizeConfig.self, from: path(runDirectory: runDirectory))
    }

    public func write(runDirectory: String) throws {
        try JSONFile.write(self, to: Self.path(runDirectory: runDirectory))
    }
}
