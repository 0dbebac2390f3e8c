import AASandbox
import Foundation
import Logging

/// The node side of `--executor slurm`: one array task runs one trial of a submission with the same
/// `TrialRunner` as the local scheduler, writing into the job folder on the shared filesystem.
public enum SlurmArrayTask {
    public enum Outcome: Sendable, Equatable {
        /// The trial ran and its result.json is written.
        case finished(reward: Double, exception: String?)
        /// The trial's result.json was already there (the task ran before, e.g. it was requeued): nothing ran.
        case alreadyFinished
    }

    /// Runs entry `index` of the submission at `planPath`. A folder left by an earlier run of the same
    /// array task without a result is removed first, so a task that runs twice still yields one trial.
    /// Throws `CancellationError` when cancelled (scancel), after removing the partial folder.
    public static func run(planPath: String, index: Int, runtime: SandboxRuntime, logger: Logger) async throws -> Outcome {
        let plan: SlurmSubmission
        do { plan = try JSONFile.read(SlurmSubmission.self, from: planPath) } catch {
            throw JobError("cannot read the submission \(planPath): \(error)")
        }
        guard plan.entries.indices.contains(index) else {
            throw JobError("\(planPath) has \(plan.entries.count) entries; there is no index \(index)")
        }
        let entry = plan.entries[index]
        let dir = plan.jobDirectory + "/" + entry.trialName
        if (try? JSONFile.read(TrialResultRecord.self, from: dir + "/result.json")) != nil { return .alreadyFinished }
        if FileManager.default.fileExists(atPath: dir) { try FileTree.remove(dir) }

        let task = try TaskDefinition.load(directory: entry.taskDirectory)
        let agent = try AgentRegistry.make(plan.agentName, options: plan.agentOptions)
        let imageMap = try plan.imageMap.map { path throws(TaskError) in try ImageMap.load(path: path) } ?? ImageMap()
        let builder = EnvironmentBuilder(cacheDirectory: plan.cacheDirectory ?? EnvironmentBuilder.defaultCacheDirectory(),
                                         imageMap: imageMap, runtime: runtime, logger: logger, forceBuild: plan.forceBuild)
        let runner = TrialRunner(runtime: runtime, builder: builder, settings: plan.settings, logger: logger)
        let placement = TrialRunner.Placement(jobID: plan.jobID, jobDirectory: plan.jobDirectory, trialName: entry.trialName,
                                              attempt: entry.attempt, taskChecksum: entry.taskChecksum)
        do {
            let record = try await runner.run(task: task, agent: agent, agentOptions: plan.agentOptions, placement: placement)
            return .finished(reward: record.reward, exception: record.exceptionInfo?.exceptionType)
        } catch {
            try? FileTree.remove(dir)
            throw error
        }
    }
}
