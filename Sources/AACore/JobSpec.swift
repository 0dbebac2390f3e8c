import Foundation
import Glibc

/// What `aa run` was asked to do: which tasks, which agent, how many attempts, how to run trials.
public struct JobSpec: Sendable {
    public var jobName: String
    public var jobsDirectory: String
    /// `-p`: the task or dataset path.
    public var datasetPath: String
    public var tasks: [TaskDefinition]
    public var agentName: String
    public var agentOptions: AgentRegistry.Options
    public var attempts: Int
    public var concurrency: Int
    public var maxRetries: Int
    /// Only these failure kinds are retried (nil: all but `retryExclude`).
    public var retryInclude: Set<TrialFailure.Kind>?
    public var retryExclude: Set<TrialFailure.Kind>
    public var settings: TrialSettings
    public var includeNames: [String]
    public var excludeNames: [String]
    public var taskLimit: Int?
    /// Where the trials run: the local scheduler (default) or Slurm job arrays.
    public var executor: JobExecutor

    public init(jobName: String, jobsDirectory: String, datasetPath: String, tasks: [TaskDefinition], agentName: String,
                agentOptions: AgentRegistry.Options = .init(), attempts: Int = 1, concurrency: Int = 4, maxRetries: Int = 0,
                retryInclude: Set<TrialFailure.Kind>? = nil, retryExclude: Set<TrialFailure.Kind> = TrialFailure.Kind.notRetriedByDefault,
                settings: TrialSettings = .init(), includeNames: [String] = [], excludeNames: [String] = [], taskLimit: Int? = nil,
                executor: JobExecutor = .local) {
        self.jobName = jobName
        self.jobsDirectory = jobsDirectory
        self.datasetPath = datasetPath
        self.tasks = tasks
        self.agentName = agentName
        self.agentOptions = agentOptions
        self.attempts = attempts
        self.concurrency = concurrency
        self.maxRetries = maxRetries
        self.retryInclude = retryInclude
        self.retryExclude = retryExclude
        self.settings = settings
        self.includeNames = includeNames
        self.excludeNames = excludeNames
        self.taskLimit = taskLimit
        self.executor = executor
    }

    /// Harbor's task selection: include globs, then exclude globs, then the first `limit`.
    public static func select(_ tasks: [TaskDefinition], include: [String], exclude: [String], limit: Int?) -> [TaskDefinition] {
        var chosen = tasks.filter { t in include.isEmpty || include.contains { fnmatch($0, t.name, 0) == 0 || fnmatch($0, t.directoryName, 0) == 0 } }
        chosen = chosen.filter { t in !exclude.contains { fnmatch($0, t.name, 0) == 0 || fnmatch($0, t.directoryName, 0) == 0 } }
        if let limit { chosen = Array(chosen.prefix(limit)) }
        return chosen
    }

    /// Harbor's default job name: the start time, `%Y-%m-%d__%H-%M-%S`.
    public static func defaultJobName(_ date: Date = Date()) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02d__%02d-%02d-%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// The default job name, with a numeric suffix when a job of that name already exists in `jobsDirectory`.
    public static func freshJobName(in jobsDirectory: String, date: Date = Date()) -> String {
        let base = defaultJobName(date)
        var name = base
        var n = 2
        while FileManager.default.fileExists(atPath: jobsDirectory + "/" + name) {
            name = "\(base)-\(n)"
            n += 1
        }
        return name
    }

    var configRecord: JobConfigRecord {
        JobConfigRecord(
            jobName: jobName, jobsDir: jobsDirectory, nAttempts: attempts, timeoutMultiplier: settings.timeoutMultiplier,
            agentTimeoutMultiplier: settings.agentTimeoutMultiplier, verifierTimeoutMultiplier: settings.verifierTimeoutMultiplier,
            nConcurrentTrials: concurrency,
            retry: .init(maxRetries: maxRetries, includeExceptions: retryInclude.map { $0.map(\.rawValue).sorted() },
                         excludeExceptions: retryExclude.map(\.rawValue).sorted()),
            agents: [.init(name: agentName, modelName: agentOptions.model, kwargs: agentOptions.kwargs)],
            datasets: [.init(path: datasetPath, taskNames: includeNames.isEmpty ? nil : includeNames,
                             excludeTaskNames: excludeNames.isEmpty ? nil : excludeNames, nTasks: taskLimit)],
            environment: .init(importPath: AutoAgent.environmentImportPath), tasks: tasks.map(\.name))
    }

    func shouldRetry(_ kind: TrialFailure.Kind) -> Bool {
        if let include = retryInclude, !include.contains(kind) { return false }
        return !retryExclude.contains(kind)
    }
}
