import AACore
import ArgumentParser
import Foundation

/// `--executor` and the `--slurm-*` options, shared by the commands that run jobs.
struct SlurmOptions: ParsableArguments {
    enum Executor: String, ExpressibleByArgument, CaseIterable {
        case local, slurm
    }

    @Option(name: .customLong("executor"), help: "Where trials run: local (this machine) or slurm (job arrays on a Slurm cluster).")
    var executor: Executor = .local

    @Option(name: .customLong("slurm-partition"), help: "Slurm partition of the trials (default: the cluster's).")
    var partition: String?

    @Option(name: .customLong("slurm-account"), help: "Slurm account charged for the trials.")
    var account: String?

    @Option(name: .customLong("slurm-time"), help: "Time limit of one array task (sbatch --time, e.g. 30 or 1:00:00; default: from the task's timeouts).")
    var time: String?

    @Option(name: .customLong("slurm-mem"), help: "Memory (MB) of a trial whose task sets no memory_mb.")
    var memoryMB = 2048

    @Option(name: .customLong("slurm-throttle"), help: "Array tasks of one submission running at once (%N; default: -n).")
    var throttle: Int?

    @Option(name: .customLong("slurm-batch"), help: "Trials one array task runs one after the other (for short trials).")
    var batchSize = 1

    @Option(name: .customLong("slurm-option"), help: ArgumentHelp("Extra sbatch option, e.g. --slurm-option=--qos=high (repeatable).", valueName: "option"))
    var extraOptions: [String] = []

    @Option(name: .customLong("slurm-poll-interval"), help: "Seconds between looks at squeue and the trial folders.")
    var pollInterval = 2.0

    @Option(name: .customLong("slurm-max-resubmissions"), help: "Resubmissions of a trial whose array task ended without a result (node failure, preemption) before the job stops.")
    var maxResubmissions = 3

    func validate() throws {
        guard memoryMB >= 4 else { throw ValidationError("--slurm-mem must be at least 4 (MB)") }
        guard batchSize >= 1 else { throw ValidationError("--slurm-batch must be at least 1") }
        if let t = throttle, t < 1 { throw ValidationError("--slurm-throttle must be at least 1") }
        guard pollInterval > 0 else { throw ValidationError("--slurm-poll-interval must be positive") }
        guard maxResubmissions >= 0 else { throw ValidationError("--slurm-max-resubmissions must not be negative") }
        for o in extraOptions where !o.hasPrefix("-") {
            throw ValidationError("--slurm-option takes an sbatch option such as --qos=high, got \"\(o)\"")
        }
    }

    /// The executor these options choose; the nodes build environments with `environment`'s options.
    func jobExecutor(concurrency: Int, environment: EnvironmentOptions) -> JobExecutor {
        guard executor == .slurm else { return .local }
        var s = SlurmSettings()
        s.partition = partition
        s.account = account
        s.time = time
        s.defaultMemoryMB = memoryMB
        s.throttle = throttle ?? concurrency
        s.batchSize = batchSize
        s.extraOptions = extraOptions
        s.pollInterval = pollInterval
        s.maxResubmissions = maxResubmissions
        s.imageMap = (environment.imageMap ?? ProcessInfo.processInfo.environment["AA_IMAGE_MAP"]).flatMap { $0.isEmpty ? nil : absolute($0) }
        s.cacheDirectory = environment.cacheDirectory.map(absolute)
        s.forceBuild = environment.forceBuild
        return .slurm(s)
    }

    private func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}
