import AACore
import AASandbox
import ArgumentParser
import Foundation

struct OptimizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Improve a harness on a task suite with the meta-agent loop.",
        discussion: """
            `aa optimize -p SUITE --harness DIR` runs the loop with the built-in meta-agent. External mode for \
            coding agents: `aa optimize status DIR` shows what the meta-agent may see; edit DIR/harness, then \
            `aa optimize submit DIR -m "…" --hypothesis "…"` evaluates the edit and prints the decision. See docs/optimize.md.
            """,
        subcommands: [OptimizeRun.self, OptimizeStatus.self, OptimizeSubmit.self],
        defaultSubcommand: OptimizeRun.self
    )
}

/// `aa optimize …`: the loop with the built-in meta-agent.
struct OptimizeRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run (or continue) an optimize run with the built-in meta-agent.",
        discussion: """
            Rerunning the same command with the same --run-dir, or `--resume DIR`, continues a stopped or killed run: \
            finished experiments are kept, an unfinished one is redone. Ctrl-C stops after recording.
            """
    )

    @Option(name: [.short, .long], help: "The task suite (a folder of Harbor tasks).")
    var path: String?

    @Option(name: .customLong("harness"), help: "The starting harness directory (e.g. examples/harness).")
    var harness: String?

    @Option(name: .customLong("run-dir"), help: "The run directory (default runs/<start time>).")
    var runDir: String?

    @Option(name: .customLong("resume"), help: "Continue the run in this directory (its run.json holds the settings).")
    var resume: String?

    @Option(name: .customLong("program"), help: "The meta-agent's standing instructions.")
    var program = "program.md"

    @Option(help: "Seed of the panel split and the statistics.")
    var seed: UInt64 = 0

    @Option(help: "A TOML file with search, validation and test lists of task names (instead of the seeded split).")
    var panels: String?

    @Option(name: [.customShort("k"), .customLong("trials")], help: "Trials per task on the search and held-out panels.")
    var trials = 3

    @Option(help: "Candidates per round, evaluated concurrently.")
    var candidates = 1

    @Option(help: "Significance level of the keep rule.")
    var alpha = 0.05

    @Option(name: .customLong("spot-tasks"), help: "Search tasks in each candidate's spot check.")
    var spotTasks = 2

    @Option(name: .customLong("budget-usd"), help: "Stop after this many dollars (task and meta models).")
    var budgetUSD: Double?

    @Option(name: .customLong("budget-tokens"), help: "Stop after this many tokens (task and meta models).")
    var budgetTokens: Int?

    @Option(name: .customLong("budget-time"), help: "Stop after this much time in experiments: seconds, or with s, m or h.")
    var budgetTime: String?

    @Option(name: .customLong("max-experiments"), help: "Stop after this many experiments (0: the baseline only).")
    var maxExperiments: Int?

    @Option(name: [.customShort("n"), .customLong("n-concurrent")], help: "Trials running at once in each job.")
    var nConcurrent = 4

    @Option(name: [.customShort("m"), .customLong("model")], help: "The task agent's model (overrides the harness's).")
    var model: String?

    @Option(name: [.customLong("ak"), .customLong("agent-kwarg")], help: "Task agent keyword argument K=V (repeatable), as for aa run.")
    var agentKwargs: [String] = []

    @Option(name: [.customLong("ae"), .customLong("agent-env")], help: "Task agent environment variable K=V (repeatable).")
    var agentEnv: [String] = []

    @Option(name: .customLong("meta-model"), help: "The meta-agent's model (default: the task agent's).")
    var metaModel: String?

    @Option(name: [.customLong("mk"), .customLong("meta-kwarg")], help: "Meta-agent keyword argument K=V (provider, base_url, api_key_env, response_format — default: the task agent's --ak — and action_protocol, max_turns, temperature, max_tokens).")
    var metaKwargs: [String] = []

    @Flag(name: [.short, .long], help: "No progress output, only the closing summary.")
    var quiet = false

    @OptionGroup(title: "Trials") var trial: TrialOptions

    @OptionGroup var environment: EnvironmentOptions

    @OptionGroup(title: "Slurm") var slurm: SlurmOptions

    mutating func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard candidates >= 1 else { throw ValidationError("--candidates must be at least 1") }
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be between 0 and 1") }
        guard nConcurrent >= 1 else { throw ValidationError("--n-concurrent must be at least 1") }
        if let n = maxExperiments, n < 0 { throw ValidationError("--max-experiments must not be negative") }
        if resume == nil, path == nil || harness == nil { throw ValidationError("give -p SUITE and --harness DIR, or --resume DIR") }
        if let t = budgetTime, Self.seconds(t) == nil { throw ValidationError("--budget-time takes seconds or a number with s, m or h, got \"\(t)\"") }
    }

    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let last = text.last, let unit = units[last] { return Double(text.dropLast()).map { $0 * unit } }
        return Double(text)
    }

    mutating func run() async throws {
        let (config, directory) = try makeConfig()
        let tasks: [TaskDefinition]
        do { tasks = try TaskDefinition.loadSuite(path: config.suite) } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
        let meta: MetaAgent
        do {
            meta = try MetaAgent.make(settings: config.meta, harness: try Harness.load(directory: config.harnessSource))
        } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
        let started = Date()
        let summary = try await OptimizeSetup.withLoop(config: config, directory: directory, tasks: tasks, meta: meta,
                                                       environment: environment, slurm: slurm, quiet: quiet) { try await $0.run() }
        print(OptimizeSetup.summary(summary, directory: directory, elapsed: Date().timeIntervalSince(started)), terminator: "")
        if summary.state == "stopped" { throw ExitCode(130) }
    }

    /// The run's configuration: run.json of an existing run directory (budgets may be raised on
    /// the command line), else a new one from the options.
    func makeConfig() throws -> (OptimizeConfig, OptimizeRunDirectory) {
        let budgets = OptimizeBudgets(usd: budgetUSD, tokens: budgetTokens, wallSeconds: budgetTime.flatMap(Self.seconds),
                                      experiments: maxExperiments)
        if let dir = resume ?? runDir, FileManager.default.fileExists(atPath: OptimizeConfig.path(runDirectory: dir)) {
            let directory = OptimizeRunDirectory(path: dir)
            var config = try OptimizeConfig.load(runDirectory: directory.path)
            if let path, absolute(path) != config.suite {
                throw ValidationFailure("\(dir) is a run on \(config.suite), not \(absolute(path)); choose another --run-dir")
            }
            config.budgets.usd = budgets.usd ?? config.budgets.usd
            config.budgets.tokens = budgets.tokens ?? config.budgets.tokens
            config.budgets.wallSeconds = budgets.wallSeconds ?? config.budgets.wallSeconds
            config.budgets.experiments = budgets.experiments ?? config.budgets.experiments
            try config.write(runDirectory: directory.path)
            return (config, directory)
        }
        if let resume { throw ValidationFailure("\(resume) has no run.json; it is not an optimize run directory") }
        guard let path, let harness else { throw ValidationFailure("give -p SUITE and --harness DIR") }
        let suite = try TaskDefinition.loadSuite(path: path).map(\.name)
        let split: Panels
        if let panels {
            do { split = try Panels.load(file: panels, suite: suite) } catch { throw ValidationFailure(error.description) }
        } else {
            split = Panels.split(suite, seed: seed)
        }
        let settings = try trial.settings()
        let name = JobSpec.defaultJobName()
        let directory = OptimizeRunDirectory(path: runDir ?? "runs/" + name)
        let options = AgentRegistry.Options(model: model, kwargs: try keyValues(agentKwargs, option: "--ak"),
                                            env: try keyValues(agentEnv, option: "--ae"))
        let config = OptimizeConfig(
            name: (directory.path as NSString).lastPathComponent, suite: absolute(path), harnessSource: absolute(harness),
            program: absolute(program), agentOptions: options, settings: settings,
            meta: MetaAgentSettings(model: metaModel ?? model, kwargs: try metaSettings(taskKwargs: options.kwargs)), panels: split,
            seed: seed, alpha: alpha, trialsPerTask: trials, candidatesPerRound: candidates, spotTasks: spotTasks,
            concurrency: nConcurrent, budgets: budgets)
        return (config, directory)
    }

    /// `--mk` keys, on top of the task agent's `--ak` endpoint keys (provider, base_url, api_key_env,
    /// response_format): by default the meta-agent reaches the same server as the task agent.
    func metaSettings(taskKwargs: [String: String]) throws -> [String: String] {
        var kwargs = taskKwargs.filter { ["provider", "base_url", "api_key_env", "response_format"].contains($0.key) }
        for (key, value) in try keyValues(metaKwargs, option: "--mk") { kwargs[key] = value }
        return kwargs
    }

    func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}

/// `aa optimize status DIR`: what the meta-agent may see.
struct OptimizeStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print what the meta-agent may see of a run: search tasks, the ledger, learnings, the failure report, the harness files."
    )

    @Argument(help: "The run directory.")
    var directory: String

    mutating func run() async throws {
        let dir = OptimizeRunDirectory(path: directory)
        let config: OptimizeConfig
        do { config = try OptimizeConfig.load(runDirectory: dir.path) } catch {
            printError("aa: \(dir.config): \(error)")
            throw ExitCode(2)
        }
        let ledger = try ExperimentLedger(path: dir.ledger)
        let records = try ledger.records()
        let best = records.last { $0.status == .keep || $0.status == .baseline }
        let report = best.flatMap { try? FailureReport.analyze(jobDirectory: dir.jobs($0.id) + "/search", logger: cliLogger).markdown() }
        let learnings = FileManager.default.contents(atPath: dir.learnings).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let files = (try? await HarnessRepository(directory: dir.harness).files(of: "main")) ?? []
        print(MetaBriefing.render(config: config, records: records, best: best, learnings: learnings,
                                  failureReport: report ?? "(no search job yet)", harnessFiles: files), terminator: "")
        print("\nEdit the harness in \(dir.harness) (the instructions: \(config.program)), then run:")
        print("  aa optimize submit \(directory) -m \"<one-line description>\" --hypothesis \"<what it should fix and why>\"")
    }
}

/// `aa optimize submit DIR`: evaluates the edited harness work tree like a meta-agent's proposal.
struct OptimizeSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Evaluate the edits in DIR/harness (guards, spot check, search panel, validation veto) and print the decision."
    )

    @Argument(help: "The run directory.")
    var directory: String

    @Option(name: [.customShort("m"), .customLong("message")], help: "One-line description of the edit.")
    var message: String

    @Option(help: "The hypothesis the edit tests.")
    var hypothesis = ""

    @Flag(name: [.short, .long], help: "No progress output, only the decision.")
    var quiet = false

    @OptionGroup var environment: EnvironmentOptions

    @OptionGroup(title: "Slurm") var slurm: SlurmOptions

    mutating func run() async throws {
        let dir = OptimizeRunDirectory(path: directory)
        let config: OptimizeConfig
        let tasks: [TaskDefinition]
        do {
            config = try OptimizeConfig.load(runDirectory: dir.path)
            tasks = try TaskDefinition.loadSuite(path: config.suite)
        } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
        let description = message
        let hypothesis = hypothesis
        let record = try await OptimizeSetup.withLoop(config: config, directory: dir, tasks: tasks, meta: nil,
                                                      environment: environment, slurm: slurm, quiet: quiet) {
            try await $0.submitExternal(description: description, hypothesis: hypothesis)
        }
        print("experiment \(record.id): \(record.status.rawValue) — \(record.reason)")
    }
}

/// Shared by the optimize subcommands: building the loop and the closing summary.
enum OptimizeSetup {
    /// Opens the sandbox runtime, builds the loop with a progress display, and runs `body` on it, cancellable
    /// with Ctrl-C or SIGTERM; a failure is printed and exits 1.
    static func withLoop<T: Sendable>(config: OptimizeConfig, directory: OptimizeRunDirectory, tasks: [TaskDefinition],
                                      meta: MetaAgent?, environment: EnvironmentOptions, slurm: SlurmOptions, quiet: Bool,
                                      _ body: @escaping @Sendable (OptimizeLoop) async throws -> T) async throws -> T {
        let progress = OptimizeProgress(quiet: quiet)
        let runtime: SandboxRuntime
        do { runtime = try openRuntime() } catch { throw ExitCode(125) }
        defer { runtime.shutdown() }
        let loop = try loop(config: config, directory: directory, tasks: tasks, meta: meta, runtime: runtime,
                            environment: environment, slurm: slurm) { progress.handle($0) }
        do { return try await runCancellable { try await body(loop) } } catch {
            printError("aa: \(error)")
            throw ExitCode(1)
        }
    }

    private static func loop(config: OptimizeConfig, directory: OptimizeRunDirectory, tasks: [TaskDefinition], meta: MetaAgent?,
                     runtime: SandboxRuntime, environment: EnvironmentOptions, slurm: SlurmOptions,
                     events: @escaping @Sendable (OptimizeEvent) -> Void) throws -> OptimizeLoop {
        let builder: EnvironmentBuilder
        do { builder = try environment.makeBuilder(runtime: runtime) } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
        let runner = JobRunner(trialRunner: TrialRunner(runtime: runtime, builder: builder, settings: config.settings, logger: cliLogger),
                               logger: cliLogger)
        let evaluator = PanelEvaluator(runner: runner, config: config, suite: tasks,
                                       executor: slurm.jobExecutor(concurrency: config.concurrency, environment: environment))
        do {
            return try OptimizeLoop(config: config, directory: directory, evaluator: evaluator, metaAgent: meta, logger: cliLogger, events: events)
        } catch {
            printError("aa: \(error)")
            throw ExitCode(2)
        }
    }

    /// The one-screen summary: what was tried and kept, baseline against best on each panel, cost, where things are.
    static func summary(_ s: OptimizeSummary, directory: OptimizeRunDirectory, elapsed: Double) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        let experiments = s.records.filter { $0.id > 0 && $0.status != .running }
        let kept = experiments.filter { $0.status == .keep }
        let base = s.records.first { $0.id == 0 }
        let best = s.records.last { $0.status == .keep || $0.status == .baseline }
        var counts: [String] = []
        for status in [ExperimentStatus.keep, .discard, .rejected, .crash] {
            let n = experiments.filter { $0.status == status }.count
            if n > 0 { counts.append("\(n) \(status.rawValue)") }
        }
        var text = "\n== aa optimize: \(s.state) (\(s.stopReason)) after \(ProgressDisplay.duration(elapsed))\n"
        text += "experiments: \(experiments.count) tried" + (counts.isEmpty ? "" : " (\(counts.joined(separator: ", ")))") + "\n"
        for r in kept { text += "  kept #\(r.id): \(r.description)  search \(f(r.parentScore)) → \(f(r.avgScore))\n" }
        text += "search:      baseline \(f(base?.avgScore)) → best \(f(best?.avgScore))  (noise floor \(f(base?.noiseFloor)))\n"
        text += "validation:  baseline \(f(base?.validationScore)) → best \(f(best?.validationScore))\n"
        text += "test:        baseline \(f(base?.testScore)) → best \(f(best?.testScore))\n"
        text += String(format: "cost:        $%.4f, %d tokens\n", s.records.map(\.costUSD).reduce(0, +), s.records.map(\.tokens).reduce(0, +))
        text += "ledger:      \(directory.ledger)\nresults:     \(directory.results)\nharness:     \(directory.harness) (branch main is the best)\n"
        text += "report:      aa report \(directory.path)\n"
        if s.state == "stopped" { text += "resume:      aa optimize --resume \(directory.path)\n" }
        return text
    }
}
