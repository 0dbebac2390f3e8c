import AASandbox
import Foundation
import Logging

/// The node side of `--executor slurm`: one array task runs its trials of a submission with the same
/// `TrialRunner` as the local scheduler, writing into the job folder on the shared filesystem.
public enum SlurmArrayTask {
    public enum Outcome: Sendable, Equatable {
        /// The trial ran and its result.json is written.
        case finished(reward: Double, exception: String?)
        /// The trial's result.json was already there (the task ran before, e.g. it was requeued): nothing ran.
        case alreadyFinished
    }

    /// Runs the entries of array task `index` of the submission at `planPath`, one after the other. A
    /// folder left by an earlier run of the same array task without a result is removed first, so a task
    /// that runs twice still yields one trial per entry. Throws `CancellationError` when cancelled
    /// (scancel), after removing the partial folder of the trial it was running.
    public static func run(planPath: String, index: Int, runtime: SandboxRuntime, logger: Logger,
                           finished: (SlurmSubmission.Entry, Outcome) -> Void) async throws {
        let plan: SlurmSubmission
        do { plan = try JSONFile.read(SlurmSubmission.self, from: planPath) } catch {
            throw JobError("cannot read the submission \(planPath): \(error)")
        }
        let indices = plan.entryIndices(ofArrayIndex: index)
        guard !indices.isEmpty else {
            throw JobError("\(planPath) has \(plan.arraySize) array tasks; there is no index \(index)")
        }
        let agent = try AgentRegistry.make(plan.agentName, options: plan.agentOptions)
        let imageMap = try plan.imageMap.map { path throws(TaskError) in try ImageMap.load(path: path) } ?? ImageMap()
        let builder = EnvironmentBuilder(cacheDirectory: plan.cacheDirectory ?? EnvironmentBuilder.defaultCacheDirectory(),
                                         imageMap: imageMap, runtime: runtime, logger: logger, forceBuild: plan.forceBuild)
        let runner = TrialRunner(runtime: runtime, builder: builder, settings: plan.settings, logger: logger)
        for entry in plan.entries[indices] {
            try Task.checkCancellation()
            finished(entry, try await run(entry, plan: plan, agent: agent, runner: runner))
        }
    }

    private static func run(_ entry: SlurmSubmission.Entry, plan: SlurmSubmission, agent: any TrialAgent,
                            runner: TrialRunner) async throws -> Outcome {
        let dir = plan.jobDirectory + "/" + entry.trialName
        if (try? JSONFile.read(TrialResultRecord.self, from: dir + "/result.json")) != nil { return .alreadyFinished }
        if FileManager.default.fileExists(atPath: dir) { try FileTree.remove(dir) }
        let task = try TaskDefinition.load(directory: entry.taskDirectory)
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
