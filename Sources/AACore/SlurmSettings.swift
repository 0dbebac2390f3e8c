import Foundation

/// Where a job's trials run: in this process (the local scheduler) or as Slurm job arrays.
public enum JobExecutor: Sendable, Equatable {
    case local
    case slurm(SlurmSettings)
}

/// How trials are submitted to Slurm (`aa run --executor slurm`).
public struct SlurmSettings: Sendable, Equatable, Codable {
    /// `--partition`; nil: the cluster's default.
    public var partition: String?
    /// `--account`; nil: the user's default.
    public var account: String?
    /// `--time` of each array task (Slurm's formats, e.g. `30`, `1:00:00`); nil: the partition's default.
    public var time: String?
    /// Memory (MB) of a trial whose task sets no `[environment].memory_mb`.
    public var defaultMemoryMB: Int = 2048
    /// Memory (MB) added to each trial's request for the runner process itself.
    public var runnerMemoryMB: Int = 256
    /// At most this many array tasks of one submission run at once (`%N`); nil: the job's `-n`.
    public var throttle: Int?
    /// Trials one array task runs one after the other (fewer, longer array tasks for short trials).
    public var batchSize = 1
    /// Extra `sbatch` options, one per entry (`--qos=high`, `--constraint=ssd`).
    public var extraOptions: [String] = []
    /// Seconds between two looks at `squeue` and the trial folders.
    public var pollInterval: Double = 2
    /// How often a slot whose array task ended without a result is submitted again before the job stops.
    public var maxResubmissions: Int = 3
    /// Seconds an array task Slurm reports COMPLETED (or in an unknown state) may take to show its
    /// result.json on the shared filesystem before it counts as lost.
    public var resultGrace: Double = 60
    /// The `aa` executable the array tasks run (the same path must exist on every node); nil: this process's.
    public var executable: String?
    /// Environment-builder options the nodes use (`--image-map`, `--cache-dir`, `--force-build`).
    public var imageMap: String?
    public var cacheDirectory: String?
    public var forceBuild = false

    public init() {}
}
