import Foundation

/// One `sbatch --array` submission of a job: what each array task runs, written to
/// `<job>/.aa-slurm/submit-<N>.json` for the nodes, next to its batch script `submit-<N>.sh`
/// and, once Slurm accepted it, its array job id in `submit-<N>.id`.
public struct SlurmSubmission: Sendable, Codable, Equatable {
    /// One trial of the submission; array task `i` runs entries `i × batchSize ..< (i + 1) × batchSize`.
    public struct Entry: Sendable, Codable, Equatable {
        public var taskDirectory: String
        public var taskName: String
        public var attempt: Int
        public var trialName: String
        public var taskChecksum: String
    }

    public var number: Int
    public var jobID: String
    public var jobDirectory: String
    public var agentName: String
    public var agentOptions: AgentRegistry.Options
    public var settings: TrialSettings
    public var imageMap: String?
    public var cacheDirectory: String?
    public var forceBuild: Bool
    public var cpus: Int
    public var memoryMB: Int
    /// Trials one array task runs, one after the other.
    public var batchSize: Int
    /// The array tasks' time limit in minutes when `--slurm-time` is not given (from the tasks' timeouts).
    public var minutes: Int?
    public var entries: [Entry]

    /// How many array tasks the submission has.
    public var arraySize: Int { (entries.count + batchSize - 1) / max(1, batchSize) }

    /// The array task that runs entry `entry`.
    public func arrayIndex(ofEntry entry: Int) -> Int { entry / max(1, batchSize) }

    /// The entries (by position) array task `index` runs; empty for an index outside the array.
    public func entryIndices(ofArrayIndex index: Int) -> Range<Int> {
        let start = index * max(1, batchSize)
        guard index >= 0, start < entries.count else { return 0..<0 }
        return start..<min(entries.count, start + max(1, batchSize))
    }

    /// The folder of a job's submissions.
    public static func directory(jobDirectory: String) -> String { jobDirectory + "/" + folderName }
    static let folderName = ".aa-slurm"

    /// The Slurm job name of a submission; the controller finds its array tasks in `squeue` by it.
    public static func jobName(jobID: String, number: Int) -> String { namePrefix(jobID: jobID) + String(number) }

    /// What every submission's job name of a job starts with.
    public static func namePrefix(jobID: String) -> String { "aa-\(jobID)-" }

    public var planPath: String { Self.directory(jobDirectory: jobDirectory) + "/submit-\(number).json" }
    public var scriptPath: String { Self.directory(jobDirectory: jobDirectory) + "/submit-\(number).sh" }
    public var idPath: String { Self.directory(jobDirectory: jobDirectory) + "/submit-\(number).id" }

    /// The submissions already written for a job, by number.
    public static func existing(jobDirectory: String) -> [Int: SlurmSubmission] {
        let dir = directory(jobDirectory: jobDirectory)
        var out: [Int: SlurmSubmission] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        where name.hasPrefix("submit-") && name.hasSuffix(".json") {
            guard let plan = try? JSONFile.read(SlurmSubmission.self, from: dir + "/" + name) else { continue }
            out[plan.number] = plan
        }
        return out
    }

    /// The recorded array job id, if Slurm accepted the submission.
    public var arrayJobID: String? {
        (try? String(contentsOfFile: idPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The batch script: `#SBATCH` lines for the array and its resources, then the node-side
    /// `aa run-trial` of this array task's entries.
    public func batchScript(slurm: SlurmSettings, executable: String, throttle: Int) -> String {
        var options = [
            "--job-name=" + Self.jobName(jobID: jobID, number: number),
            "--array=0-\(arraySize - 1)%\(max(1, throttle))",
            // Relative to the job folder (sbatch --chdir), so a path with spaces needs no quoting here.
            "--output=\(Self.folderName)/submit-\(number)/%a.out",
            "--ntasks=1",
            "--cpus-per-task=\(cpus)",
            "--mem=\(memoryMB)M",
            // A lost array task is resubmitted by the controller under a new trial name, not requeued.
            "--no-requeue",
        ]
        if let p = slurm.partition { options.append("--partition=" + p) }
        if let a = slurm.account { options.append("--account=" + a) }
        if let t = slurm.time {
            options.append("--time=" + t)
        } else if let m = minutes {
            options.append("--time=\(m)")
        }
        options += slurm.extraOptions
        var script = "#!/bin/sh\n"
        for o in options { script += "#SBATCH " + o + "\n" }
        script += "exec \(Self.quoted(executable)) run-trial \(Self.quoted(planPath)) --index \"$SLURM_ARRAY_TASK_ID\"\n"
        return script
    }

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
