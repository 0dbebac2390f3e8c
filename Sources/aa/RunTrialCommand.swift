import AACore
import AASandbox
import ArgumentParser
import Foundation

/// The entry point of a Slurm array task (`--executor slurm`): runs its trials of a submission on this node.
struct RunTrialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-trial",
        abstract: "Run an array task's trials of a Slurm submission (the array task's side of aa run --executor slurm).",
        shouldDisplay: false
    )

    @Argument(help: "The submission's plan, <job>/.aa-slurm/submit-<N>.json.")
    var plan: String

    @Option(name: .customLong("index"), help: "The array task index ($SLURM_ARRAY_TASK_ID).")
    var index: Int

    mutating func run() async throws {
        let runtime: SandboxRuntime
        do { runtime = try openRuntime() } catch { throw ExitCode(125) }
        defer { runtime.shutdown() }
        let plan = self.plan
        let index = self.index
        do {
            try await runCancellable {
                try await SlurmArrayTask.run(planPath: plan, index: index, runtime: runtime, logger: cliLogger) { entry, outcome in
                    switch outcome {
                    case .finished(let reward, let exception):
                        print("trial \(entry.trialName): reward \(reward)" + (exception.map { ", \($0)" } ?? ""))
                    case .alreadyFinished:
                        print("trial \(entry.trialName) had finished before; nothing ran")
                    }
                }
            }
        } catch is CancellationError {
            printError("aa: array task \(index) of \(plan) cancelled")
            throw ExitCode(130)
        } catch {
            printError("aa: \(error)")
            throw ExitCode(1)
        }
    }
}
