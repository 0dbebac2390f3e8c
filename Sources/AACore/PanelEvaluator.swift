import Foundation

/// What a harness scored on a panel: trial rewards per task and what the trials spent.
public struct PanelEvaluation: Sendable {
    public var rewards: [String: [Double]]
    /// Trials that ended in an error of the agent (not of the environment or the verifier).
    public var agentErrors: Int
    public var costUSD: Double
    public var tokens: Int
    public var jobDirectory: String
    /// The job was stopped (a signal) before all trials ran.
    public var cancelled: Bool

    public var trials: Int { rewards.values.map(\.count).reduce(0, +) }
    public var passed: Int { rewards.values.map { $0.filter { $0 >= 1 }.count }.reduce(0, +) }
    public var score: Double? { PairedComparison.panelScore(rewards) }
    public var taskScores: [String: Double] { rewards.compactMapValues { $0.isEmpty ? nil : PairedComparison.mean($0) } }

    /// Reads a finished job folder's `result.json`.
    public static func read(jobDirectory: String) throws -> PanelEvaluation {
        let result = try JSONFile.read(JobResultRecord.self, from: jobDirectory + "/result.json")
        return PanelEvaluation(trials: result.trialResults, jobDirectory: jobDirectory, cancelled: result.finishedAt == nil)
    }

    init(trials: [TrialResultRecord], jobDirectory: String, cancelled: Bool) {
        var rewards: [String: [Double]] = [:]
        var cost = 0.0
        var tokens = 0
        for trial in trials {
            rewards[trial.taskName, default: []].append(trial.reward)
            cost += trial.agentResult?.costUSD ?? 0
            tokens += (trial.agentResult?.nInputTokens ?? 0) + (trial.agentResult?.nOutputTokens ?? 0)
        }
        self.rewards = rewards
        let agentKinds = Set([TrialFailure.Kind.agentError, .nonZeroAgentExitCode, .agentTimeout].map(\.rawValue))
        agentErrors = trials.filter { agentKinds.contains($0.exceptionInfo?.exceptionType ?? "") }.count
        costUSD = cost
        self.tokens = tokens
        self.jobDirectory = jobDirectory
        self.cancelled = cancelled
    }
}

extension ExperimentRecord {
    /// Takes a search panel's scores and the paired comparison's mean delta and interval.
    mutating func take(_ search: PanelEvaluation, comparison: PairedComparison) {
        avgScore = search.score
        passed = search.passed
        trials = search.trials
        taskScores = search.taskScores
        statistic = comparison.meanDelta
        ciLow = comparison.ciLow
        ciHigh = comparison.ciHigh
    }
}

/// Runs a harness snapshot on some tasks of the suite with the `harness` agent, through `JobRunner`.
public struct PanelEvaluator: Sendable {
    public let runner: JobRunner
    public let config: OptimizeConfig
    public let suite: [String: TaskDefinition]
    /// Where the trials run: this machine or a Slurm cluster.
    public let executor: JobExecutor

    public init(runner: JobRunner, config: OptimizeConfig, suite: [TaskDefinition], executor: JobExecutor = .local) {
        self.runner = runner
        self.config = config
        self.suite = Dictionary(suite.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.executor = executor
    }

    /// Runs `tasks` × `trials` with the harness in `harnessDirectory`; the job folder is
    /// `jobsDirectory/jobName`. A job of that name left by an interrupted process resumes.
    public func evaluate(harnessDirectory: String, tasks: [String], trials: Int, jobsDirectory: String, jobName: String,
                         events: @escaping @Sendable (JobEvent) -> Void = { _ in }) async throws -> PanelEvaluation {
        var options = config.agentOptions
        options.harness = harnessDirectory
        let spec = JobSpec(jobName: jobName, jobsDirectory: jobsDirectory, datasetPath: config.suite,
                           tasks: tasks.compactMap { suite[$0] }, agentName: "harness", agentOptions: options, attempts: trials,
                           concurrency: config.concurrency, settings: config.settings, executor: executor)
        let outcome = try await runner.run(spec, events: events)
        return PanelEvaluation(trials: outcome.result.trialResults, jobDirectory: outcome.jobDirectory, cancelled: outcome.cancelled)
    }
}
