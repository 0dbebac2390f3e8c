/// Harbor's job-level records (`<job>/config.json` and `<job>/result.json`), with Harbor's field names.
public struct JobConfigRecord: Sendable, Codable, Equatable {
    public struct Retry: Sendable, Codable, Equatable {
        public var maxRetries: Int
        public var includeExceptions: [String]?
        public var excludeExceptions: [String]
        enum CodingKeys: String, CodingKey {
            case maxRetries = "max_retries", includeExceptions = "include_exceptions", excludeExceptions = "exclude_exceptions"
        }
    }
    public struct AgentEntry: Sendable, Codable, Equatable {
        public var name: String
        public var modelName: String?
        public var kwargs: [String: String]
        enum CodingKeys: String, CodingKey { case name, modelName = "model_name", kwargs }
    }
    public struct Dataset: Sendable, Codable, Equatable {
        public var path: String
        public var taskNames: [String]?
        public var excludeTaskNames: [String]?
        public var nTasks: Int?
        enum CodingKeys: String, CodingKey {
            case path, taskNames = "task_names", excludeTaskNames = "exclude_task_names", nTasks = "n_tasks"
        }
    }
    public struct Environment: Sendable, Codable, Equatable {
        public var importPath: String
        enum CodingKeys: String, CodingKey { case importPath = "import_path" }
    }

    public var jobName: String
    public var jobsDir: String
    public var nAttempts: Int
    public var timeoutMultiplier: Double
    public var agentTimeoutMultiplier: Double?
    public var verifierTimeoutMultiplier: Double?
    public var nConcurrentTrials: Int
    public var retry: Retry
    public var agents: [AgentEntry]
    public var datasets: [Dataset]
    public var environment: Environment
    /// The tasks the job runs (after filters), by name.
    public var tasks: [String]

    enum CodingKeys: String, CodingKey {
        case jobName = "job_name", jobsDir = "jobs_dir", nAttempts = "n_attempts", timeoutMultiplier = "timeout_multiplier"
        case agentTimeoutMultiplier = "agent_timeout_multiplier", verifierTimeoutMultiplier = "verifier_timeout_multiplier"
        case nConcurrentTrials = "n_concurrent_trials", retry, agents, datasets, environment, tasks
    }
}

public struct EvalStats: Sendable, Codable, Equatable {
    public var nTrials: Int
    public var nErrors: Int
    public var metrics: [[String: Double]]
    public var passAtK: [String: Double]
    public var rewardStats: [String: [String: [String]]]
    public var exceptionStats: [String: [String]]
    enum CodingKeys: String, CodingKey {
        case nTrials = "n_trials", nErrors = "n_errors", metrics, passAtK = "pass_at_k", rewardStats = "reward_stats"
        case exceptionStats = "exception_stats"
    }
}

public struct JobStats: Sendable, Codable, Equatable {
    public var nCompletedTrials: Int
    public var nErroredTrials: Int
    public var nRunningTrials: Int
    public var nPendingTrials: Int
    public var nCancelledTrials: Int
    public var nRetries: Int
    public var evals: [String: EvalStats]
    enum CodingKeys: String, CodingKey {
        case nCompletedTrials = "n_completed_trials", nErroredTrials = "n_errored_trials", nRunningTrials = "n_running_trials"
        case nPendingTrials = "n_pending_trials", nCancelledTrials = "n_cancelled_trials", nRetries = "n_retries", evals
    }
}

public struct JobResultRecord: Sendable, Codable, Equatable {
    public var id: String
    public var startedAt: String
    public var updatedAt: String
    public var finishedAt: String?
    public var nTotalTrials: Int
    public var stats: JobStats
    public var trialResults: [TrialResultRecord]
    enum CodingKeys: String, CodingKey {
        case id, startedAt = "started_at", updatedAt = "updated_at", finishedAt = "finished_at"
        case nTotalTrials = "n_total_trials", stats, trialResults = "trial_results"
    }
}
