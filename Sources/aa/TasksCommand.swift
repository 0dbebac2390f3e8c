import AACore
import AASandbox
import ArgumentParser
import Foundation

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "Inspect and check task suites (nop scores 0, oracle scores 1).",
        subcommands: [List.self, Check.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load and validate tasks and list them.")

        @Option(name: [.short, .long], help: "A task directory or a folder of tasks.")
        var path: String

        mutating func run() async throws {
            let tasks: [TaskDefinition]
            do { tasks = try TaskDefinition.loadSuite(path: path) } catch {
                printError("aa: \(error)")
                throw ExitCode(2)
            }
            var rows = [["task", "image", "agent timeout", "verifier timeout", "network", "solution"]]
            for t in tasks {
                let image = t.dockerfilePath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }
                    .flatMap { try? Dockerfile.parse($0).baseImage } ?? t.config.environment.dockerImage ?? "?"
                rows.append([t.name, image, t.config.agent.timeoutSec.map { "\(Int($0)) s" } ?? "none",
                             "\(Int(t.config.verifier.timeoutSec)) s", t.config.environment.networkMode.rawValue,
                             t.hasSolution ? "yes" : "no"])
                for key in t.unknownKeys { printError("warning: task \(t.name): task.toml: \(key): unknown key (ignored)") }
            }
            print(SummaryTable.table(rows), terminator: "")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Quality gate for task authors: every task must score 0 with nop and 1 with oracle.",
            discussion: "Runs two jobs (nop, then oracle) in the jobs directory and prints a verdict per task; exits 1 if any task fails the gate."
        )

        @Option(name: [.short, .long], help: "A task directory or a folder of tasks.")
        var path: String

        @Option(name: [.customShort("i"), .customLong("include-task-name")], help: "Only tasks whose name matches this glob (repeatable).")
        var includeTaskName: [String] = []

        @Option(name: [.customShort("n"), .customLong("n-concurrent")], help: "Trials running at once.")
        var nConcurrent = 4

        @Option(name: [.customShort("o"), .customLong("jobs-dir")], help: "Where the two check jobs go.")
        var jobsDir = AutoAgent.defaultJobsDirectory

        @Flag(name: [.short, .long], help: "No progress output.")
        var quiet = false

        @OptionGroup var environment: EnvironmentOptions

        mutating func run() async throws {
            let suite: [TaskDefinition]
            do { suite = try TaskDefinition.loadSuite(path: path) } catch {
                printError("aa: \(error)")
                throw ExitCode(2)
            }
            let tasks = JobSpec.select(suite, include: includeTaskName, exclude: [], limit: nil)
            guard !tasks.isEmpty else {
                printError("aa: no task of \(path) matches the filters")
                throw ExitCode(2)
            }
            let stamp = JobSpec.defaultJobName()
            let runtime: SandboxRuntime
            do { runtime = try openRuntime() } catch { throw ExitCode(125) }
            defer { runtime.shutdown() }
            var rewards: [String: [String: TrialResultRecord]] = [:]
            for agent in ["nop", "oracle"] {
                let spec = JobSpec(jobName: "tasks-check-\(agent)-\(stamp)", jobsDirectory: jobsDir, datasetPath: path, tasks: tasks,
                                   agentName: agent, concurrency: nConcurrent)
                let outcome = try await JobExecution.run(spec, runtime: runtime, environment: environment, quiet: quiet)
                if outcome.cancelled { throw ExitCode(130) }
                for t in outcome.result.trialResults { rewards[agent, default: [:]][t.taskName] = t }
            }
            var rows = [["task", "nop", "oracle", "verdict"]]
            var failed = 0
            for t in tasks {
                let nop = rewards["nop"]?[t.name]
                let oracle = rewards["oracle"]?[t.name]
                var problems: [String] = []
                if let nop, nop.reward != 0 { problems.append("nop scores \(nop.reward)") }
                if let e = oracle?.exceptionInfo { problems.append("oracle: \(e.exceptionType): \(e.exceptionMessage.prefix(80))") }
                else if let oracle, oracle.reward != 1 { problems.append("oracle scores \(oracle.reward)") }
                if nop == nil || oracle == nil { problems.append("did not run") }
                if !problems.isEmpty { failed += 1 }
                rows.append([t.name, nop.map { Self.format($0) } ?? "-", oracle.map { Self.format($0) } ?? "-",
                             problems.isEmpty ? "ok" : problems.joined(separator: "; ")])
            }
            print(SummaryTable.table(rows), terminator: "")
            print("\(tasks.count - failed) of \(tasks.count) tasks pass the gate (nop → 0, oracle → 1)")
            if failed > 0 { throw ExitCode(1) }
        }

        static func format(_ r: TrialResultRecord) -> String {
            r.verifierResult?.rewards == nil ? (r.exceptionInfo?.exceptionType ?? "no reward") : String(format: "%.2f", r.reward)
        }
    }
}
