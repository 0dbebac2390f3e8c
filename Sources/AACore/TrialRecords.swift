/// Harbor's per-trial records (`<trial>/config.json` and `<trial>/result.json`), with Harbor's field names.
public struct TimingInfo: Sendable, Codable, Equatable {
    public var startedAt: String?
    public var finishedAt: String?
    enum CodingKeys: String, CodingKey { case startedAt = "started_at", finishedAt = "finished_at" }
    public init(startedAt: String? = nil, finishedAt: String? = nil) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

public struct ExceptionInfo: Sendable, Codable, Equatable {
    public var exceptionType: String
    public var exceptionMessage: String
    public var exceptionTraceback: String
    public var occurredAt: String
    enum CodingKeys: String, CodingKey {
        case exceptionType = "exception_type", exceptionMessage = "exception_message"
        case exceptionTraceback = "exception_traceback", occurredAt = "occurred_at"
    }
}

public struct AgentInfo: Sendable, Codable, Equatable {
    public struct ModelInfo: Sendable, Codable, Equatable {
        public var name: String
        public var provider: String?
    }
    public var name: String
    public var version: String
    public var modelInfo: ModelInfo?
    enum CodingKeys: String, CodingKey { case name, version, modelInfo = "model_info" }
}

/// Harbor's AgentContext as stored in `agent_result`.
public struct AgentResultRecord: Sendable, Codable, Equatable {
    public var nInputTokens: Int?
    public var nCacheTokens: Int?
    public var nOutputTokens: Int?
    public var costUSD: Double?
    public var metadata: [String: JSONValue]?
    enum CodingKeys: String, CodingKey {
        case nInputTokens = "n_input_tokens", nCacheTokens = "n_cache_tokens", nOutputTokens = "n_output_tokens"
        case costUSD = "cost_usd", metadata
    }
}

public struct VerifierResultRecord: Sendable, Codable, Equatable {
    public var rewards: [String: Double]?
}

public struct TrialConfigRecord: Sendable, Codable, Equatable {
    public struct TaskRef: Sendable, Codable, Equatable {
        public var path: String
    }
    public struct AgentRef: Sendable, Codable, Equatable {
        public var name: String
        public var modelName: String?
        public var kwargs: [String: String]
        enum CodingKeys: String, CodingKey { case name, modelName = "model_name", kwargs }
    }
    /// Harbor's EnvironmentConfig: `type` names Harbor's own backends only, so ours goes in `import_path`.
    public struct EnvironmentRef: Sendable, Codable, Equatable {
        public var importPath: String
        public var forceBuild: Bool
        public var delete: Bool
        enum CodingKeys: String, CodingKey { case importPath = "import_path", forceBuild = "force_build", delete }
    }
    public struct VerifierRef: Sendable, Codable, Equatable {
        public var disable: Bool
    }

    public var task: TaskRef
    public var trialName: String
    public var trialsDir: String
    public var timeoutMultiplier: Double
    public var agentTimeoutMultiplier: Double?
    public var verifierTimeoutMultiplier: Double?
    public var agent: AgentRef
    public var environment: EnvironmentRef
    public var verifier: VerifierRef
    public var jobID: String
    enum CodingKeys: String, CodingKey {
        case task, trialName = "trial_name", trialsDir = "trials_dir", timeoutMultiplier = "timeout_multiplier"
        case agentTimeoutMultiplier = "agent_timeout_multiplier", verifierTimeoutMultiplier = "verifier_timeout_multiplier"
        case agent, environment, verifier, jobID = "job_id"
    }
}

public struct TrialResultRecord: Sendable, Codable, Equatable {
    public var id: String
    public var taskName: String
    public var trialName: String
    public var trialURI: String
    public var taskID: TrialConfigRecord.TaskRef
    public var source: String?
    public var taskChecksum: String
    public var config: TrialConfigRecord
    public var agentInfo: AgentInfo
    public var agentResult: AgentResultRecord?
    public var verifierResult: VerifierResultRecord?
    public var exceptionInfo: ExceptionInfo?
    public var startedAt: String
    public var finishedAt: String?
    public var environmentSetup: TimingInfo?
    public var agentSetup: TimingInfo?
    public var agentExecution: TimingInfo?
    public var verifier: TimingInfo?

    enum CodingKeys: String, CodingKey {
        case id, taskName = "task_name", trialName = "trial_name", trialURI = "trial_uri", taskID = "task_id", source
        case taskChecksum = "task_checksum", config, agentInfo = "agent_info", agentResult = "agent_result"
        case verifierResult = "verifier_result", exceptionInfo = "exception_info", startedAt = "started_at"
        case finishedAt = "finished_at", environmentSetup = "environment_setup", agentSetup = "agent_setup"
        case agentExecution = "agent_execution", verifier
    }

    /// The main reward ("reward" key, else the mean of all keys), 0 when the verifier gave none.
    public var reward: Double {
        guard let rewards = verifierResult?.rewards, !rewards.isEmpty else { return 0 }
        if let r = rewards["reward"] { return r }
        return rewards.values.reduce(0, +) / Double(rewards.count)
    }
}
