import AACore
import AASandbox
import ArgumentParser
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a task suite (Harbor format) with an agent, one sandbox per trial, and write a Harbor job folder.",
        discussion: """
            Accepts Harbor's flags. Re-running the same command with the same --job-name resumes a stopped \
            or killed job: exactly the missing trials run. Ctrl-C stops cleanly and leaves the job resumable.
            """
    )

    @Option(name: [.short, .long], help: "A task directory or a folder of tasks.")
    var path: String

    @Option(name: [.customShort("a"), .customLong("agent")], help: "Agent: \(AgentRegistry.builtInNames.joined(separator: ", ")).")
    var agent = "oracle"

    @Option(name: [.customShort("m"), .customLong("model")], help: "Model name passed to the agent.")
    var model: String?

    @Option(name: .customLong("harness"), help: "Harness directory of the harness agent (e.g. examples/harness).")
    var harness: String?

    @Option(name: [.customShort("n"), .customLong("n-concurrent")], help: "Trials running at once.")
    var nConcurrent = 4

    @Option(name: [.customShort("k"), .customLong("n-attempts")], help: "Attempts per task.")
    var nAttempts = 1

    @Option(name: [.customShort("l"), .customLong("n-tasks")], help: "Run at most this many tasks (after the name filters).")
    var nTasks: Int?

    @Option(name: [.customShort("i"), .customLong("include-task-name"), .customLong("task-name")], help: "Only tasks whose name matches this glob (repeatable).")
    var includeTaskName: [String] = []

    @Option(name: [.customShort("x"), .customLong("exclude-task-name")], help: "Skip tasks whose name matches this glob (repeatable).")
    var excludeTaskName: [String] = []

    @Option(name: [.customShort("o"), .customLong("jobs-dir")], help: "Where job folders go.")
    var jobsDir = AutoAgent.defaultJobsDirectory

    @Option(name: .customLong("job-name"), help: "Job folder name (default: the start time). Reuse it to resume.")
    var jobName: String?

    @Option(name: [.customShort("r"), .customLong("max-retries")], help: "Retries of a failed trial.")
    var maxRetries = 0

    @Option(name: .customLong("retry-include"), help: "Only retry these exception types (repeatable).")
    var retryInclude: [String] = []

    @Option(name: .customLong("retry-exclude"), help: "Never retry these exception types (repeatable; default: Harbor's list).")
    var retryExclude: [String] = []

    @Option(name: [.customLong("ak"), .customLong("agent-kwarg")], help: "Agent keyword argument K=V (repeatable).")
    var agentKwargs: [String] = []

    @Option(name: [.customLong("ae"), .customLong("agent-env")], help: "Agent environment variable K=V (repeatable).")
    var agentEnv: [String] = []

    @Flag(name: .customLong("disable-verification"), help: "Run agents only; no verifier, no reward.")
    var disableVerification = false

    @Flag(name: [.short, .long], help: "No progress output, only the closing table.")
    var quiet = false

    @OptionGroup(title: "Trials") var trial: TrialOptions

    @OptionGroup var environment: EnvironmentOptions

    @OptionGroup(title: "Slurm") var slurm: SlurmOptions

    mutating func validate() throws {
        guard nConcurrent >= 1 else { throw ValidationError("--n-concurrent must be at least 1") }
        guard nAttempts >= 1 else { throw ValidationError("--n-attempts must be at least 1") }
        guard maxRetries >= 0 else { throw ValidationError("--max-retries must not be negative") }
        if let n = nTasks, n < 1 { throw ValidationError("--n-tasks must be at least 1") }
        if let name = jobName, name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            throw ValidationError("--job-name must be a plain folder name")
        }
    }

    mutating func run() async throws {
        let suite: [TaskDefinition]
        do { suite = try TaskDefinition.loadSuite(path: path) } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
        let tasks = JobSpec.select(suite, include: includeTaskName, exclude: excludeTaskName, limit: nTasks)
        guard !tasks.isEmpty else {
            printError("aa: no task of \(path) matches the filters")
            throw ExitCode(2)
        }
        let options = AgentRegistry.Options(model: model, kwargs: try keyValues(agentKwargs, option: "--ak"),
                                            env: try keyValues(agentEnv, option: "--ae"),
                                            harness: harness.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        do { _ = try AgentRegistry.make(agent, options: options) } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
        var settings = try trial.settings()
        settings.disableVerification = disableVerification
        let spec = JobSpec(
            jobName: jobName ?? JobSpec.freshJobName(in: jobsDir), jobsDirectory: jobsDir, datasetPath: path, tasks: tasks,
            agentName: agent, agentOptions: options, attempts: nAttempts, concurrency: nConcurrent, maxRetries: maxRetries,
            retryInclude: retryInclude.isEmpty ? nil : Set(retryInclude.map(TrialFailure.Kind.init(rawValue:))),
            retryExclude: retryExclude.isEmpty ? TrialFailure.Kind.notRetriedByDefault : Set(retryExclude.map(TrialFailure.Kind.init(rawValue:))),
            settings: settings, includeNames: includeTaskName, excludeNames: excludeTaskName, taskLimit: nTasks,
            executor: slurm.jobExecutor(concurrency: nConcurrent, environment: environment))
        let runtime: SandboxRuntime
        do { runtime = try openRuntime() } catch { throw ExitCode(125) }
        defer { runtime.shutdown() }
        let outcome = try await JobExecution.run(spec, runtime: runtime, environment: environment, quiet: quiet)
        print(SummaryTable.render(outcome.result, jobDirectory: outcome.jobDirectory, elapsed: outcome.elapsed, cancelled: outcome.cancelled), terminator: "")
        if outcome.cancelled { throw ExitCode(130) }
    }
}

/// Runs a job with the sandbox runtime, progress display and Ctrl-C handling.
enum JobExecution {
    struct Finished {
        var result: JobResultRecord
        var jobDirectory: String
        var cancelled: Bool
        var elapsed: Double
    }

    static func run(_ spec: JobSpec, runtime: SandboxRuntime, environment: EnvironmentOptions, quiet: Bool) async throws -> Finished {
        let builder: EnvironmentBuilder
        do { builder = try environment.makeBuilder(runtime: runtime) } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
        let trialRunner = TrialRunner(runtime: runtime, builder: builder, settings: spec.settings, logger: cliLogger)
        let runner = JobRunner(trialRunner: trialRunner, logger: cliLogger)
        let progress = ProgressDisplay(quiet: quiet)
        let started = Date()
        let outcome: JobOutcome
        do {
            outcome = try await runCancellable { try await runner.run(spec) { progress.handle($0) } }
        } catch {
            progress.finish()
            printError("aa: \(error)")
            throw ExitCode(1)
        }
        progress.finish()
        return Finished(result: outcome.result, jobDirectory: outcome.jobDirectory, cancelled: outcome.cancelled,
                        elapsed: Date().timeIntervalSince(started))
    }
}
