import AACore
import Foundation
import Glibc
import TestSupport
import Testing

/// `aa optimize` end to end: real sandboxes and verifiers, scripted task and meta models on loopback.
/// Needs root.
@Suite(.serialized, .enabled(if: geteuid() == 0, "sandboxes need root"))
struct OptimizeEndToEndTests {
    static func json(_ object: [String: String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func submit(_ description: String, _ hypothesis: String) -> (String, String) {
        ("submit", json(["description": description, "hypothesis": hypothesis]))
    }

    /// A harmful edit, one naming a task, a helpful one.
    static let proposals: [[(String, String)]] = [
        [("patch_file", json(["path": "system.md", "old_text": "reply without a tool call.",
                              "new_text": "reply without a tool call. Always write answers in UPPER CASE."])),
         submit("Ask for answers in upper case", "Graders compare case-insensitively, so upper case is safer.")],
        [("write_file", json(["path": "skills/notes.md", "content": "For echo-embers write the whole word.\n"])),
         submit("Add a note about one task", "That task fails.")],
        [("read_report", "{}"),
         ("write_file", json(["path": "tools/answer.toml", "content": OptimizeScenario.answerTool])),
         submit("Add an answer tool that writes the final answer exactly", "Runs lose characters when they write answers with echo.")],
    ]

    @Test func keepsTheHelpfulEditRevertsTheHarmfulRejectsTheLeakStopsAtTheBudgetAndResumesAfterSIGKILL() async throws {
        let scenario = try OptimizeScenario(proposals: Self.proposals)
        let arguments = scenario.optimizeArguments(maxExperiments: 3)
        let run = OptimizeRunDirectory(path: scenario.runDirectory)

        // First process: SIGKILL once the helpful edit's search stage has started.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Executables.directory + "/aa")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(240)
        while process.isRunning, Date() < deadline,
              !FileManager.default.fileExists(atPath: run.jobs(3) + "/search/config.json") {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(process.isRunning, "the first process ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let before = try ExperimentLedger(path: run.ledger).records()
        #expect(before.map(\.id) == [0, 1, 2, 3])
        #expect(before.map(\.status) == [.baseline, .discard, .rejected, .running], "\(before.map(\.reason))")
        #expect(scenario.meta.conversations == 3)

        // Second process: the same command continues and finishes at the experiment budget.
        let resumed = try Executables.run("aa", arguments)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(resumed.stdout.contains("experiments: 3 tried (1 keep, 1 discard, 1 rejected)"), "\(resumed.stdout)")
        #expect(scenario.meta.conversations == 3, "no proposal is made twice")

        let ledger = try ExperimentLedger(path: run.ledger)
        let records = try ledger.records()
        #expect(records.map(\.id) == [0, 1, 2, 3])
        #expect(records.map(\.status) == [.baseline, .discard, .rejected, .keep], "\(records.map(\.reason))")
        #expect(records[0] == before[0], "the baseline is not run again")
        #expect(records[1] == before[1] && records[2] == before[2], "finished experiments are not repeated")
        #expect(try ledger.info("state") == "finished")
        #expect(try ledger.info("stop_reason")?.hasPrefix("experiment budget reached") == true)

        let base = records[0]
        #expect(base.avgScore == 0.5 && base.validationScore == 0.5 && base.testScore == 0.5)
        #expect(base.noiseFloor == 0 && base.trials == 8)

        let harmful = records[1]
        #expect(harmful.avgScore == 0 && harmful.parentScore == 0.5 && harmful.stage == .search)
        #expect(harmful.reason.hasPrefix("Worse on the search panel"))
        #expect(harmful.diff.contains("UPPER CASE"))
        #expect(harmful.taskDeltas == ["echo-amber": -1, "echo-birch": -1, "echo-embers": 0, "echo-fjords": 0])

        let leak = records[2]
        #expect(leak.commitID == nil && leak.stage == .guard && leak.reason.contains("echo-embers"))
        #expect(leak.diff.contains("+For echo-embers"), "a rejected edit keeps its diff")
        #expect(try ledger.info("budgets") == #"{"experiments":3}"#)
        #expect(try ledger.info("task_model") == "scripted-task" && ledger.info("meta_model") == "scripted-meta")

        let helpful = records[3]
        #expect(helpful.avgScore == 1 && helpful.parentScore == 0.5 && helpful.passed == 8)
        #expect((helpful.pValue ?? 1) <= 0.05)
        #expect(helpful.validationScore == 1 && helpful.parentValidationScore == 0.5 && helpful.testScore == 1)
        #expect(helpful.reason.hasPrefix("Significant improvement"))
        let searchJob = try PanelEvaluation.read(jobDirectory: run.jobs(3) + "/search")
        #expect(searchJob.trials == 8, "the redone search stage ran each trial once")

        let repository = HarnessRepository(directory: run.harness)
        #expect(try await repository.commit(of: "main") == helpful.commitID)
        #expect(try await repository.commit(of: HarnessRepository.experimentRef(1)) == harmful.commitID)
        #expect(FileManager.default.fileExists(atPath: run.harness + "/tools/answer.toml"))

        let tsv = try String(contentsOfFile: run.results, encoding: .utf8).split(separator: "\n")
        #expect(tsv.count == 5)
        #expect(tsv[0].hasPrefix("commit\tavg_score\tpassed\ttask_scores\tcost_usd\tstatus\tdescription"))
        #expect(tsv[4].contains("\tkeep\tAdd an answer tool"))
        let learnings = try String(contentsOfFile: run.learnings, encoding: .utf8)
        #expect(learnings.contains("Experiment 1 (discard)") && learnings.contains("Experiment 3 (keep)"))
        #expect(FileManager.default.fileExists(atPath: run.meta(3) + "/trajectory.json"))
        #expect(FileManager.default.fileExists(atPath: run.analysis(0)))
        #expect(FileManager.default.fileExists(atPath: run.proposal(2)))

        // The meta-agent never saw a held-out task name.
        for request in scenario.metaServer.received {
            for held in ["echo-cedar", "echo-groves", "echo-dunes", "echo-herons"] {
                #expect(!request.body.contains(held), "the meta-model was sent \(held)")
            }
        }
    }

    @Test func externalModeSubmitsTheWorkTreeThroughTheSameGuardsAndRules() async throws {
        let scenario = try OptimizeScenario(proposals: [])
        let run = OptimizeRunDirectory(path: scenario.runDirectory)
        let baseline = try Executables.run("aa", scenario.optimizeArguments(maxExperiments: 0))
        #expect(baseline.status == 0, "\(baseline.stdout)\n\(baseline.stderr)")
        #expect(baseline.stdout.contains("experiments: 0 tried"), "\(baseline.stdout)")
        #expect(scenario.meta.conversations == 0)

        let status = try Executables.run("aa", ["optimize", "status", run.path])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("echo-amber") && status.stdout.contains("Past experiments (0)"))
        for held in ["echo-cedar", "echo-groves", "echo-dunes", "echo-herons"] { #expect(!status.stdout.contains(held)) }

        func submit(_ message: String) throws -> String {
            let r = try Executables.run("aa", ["optimize", "submit", run.path, "-m", message, "--hypothesis", "h", "-q",
                                               "--cache-dir", scenario.cacheDirectory])
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
            return r.stdout
        }
        try Data(OptimizeScenario.answerTool.utf8).write(to: URL(fileURLWithPath: run.harness + "/tools/answer.toml"))
        #expect(try submit("Add an answer tool").hasPrefix("experiment 1: keep — Significant improvement"))

        // Same score, shorter prompt: kept as simpler.
        try Data("Complete the task, then reply without a tool call.\n".utf8).write(to: URL(fileURLWithPath: run.harness + "/system.md"))
        #expect(try submit("Shorter prompt").hasPrefix("experiment 2: keep — Equal on the search panel"))

        // Same score, longer prompt: discarded.
        try Data("Complete the task carefully and completely, then reply without a tool call.\n".utf8)
            .write(to: URL(fileURLWithPath: run.harness + "/system.md"))
        #expect(try submit("Longer prompt").hasPrefix("experiment 3: discard — Equal on the search panel"))

        let toml = try String(contentsOfFile: run.harness + "/harness.toml", encoding: .utf8)
        try Data(toml.replacingOccurrences(of: "turns = 30", with: "turns = 99").utf8).write(to: URL(fileURLWithPath: run.harness + "/harness.toml"))
        #expect(try submit("More turns").contains("rejected — Rejected before evaluation: harness.toml: [budget] changed"))

        let long = String(repeating: "Think about every step before you act. ", count: 200)
        try Data(long.utf8).write(to: URL(fileURLWithPath: run.harness + "/system.md"))
        #expect(try submit("A very long prompt").contains("experiment 5: crash — Every spot-check trial ended in an agent error"))

        try Data("name = \"broken\"\n".utf8).write(to: URL(fileURLWithPath: run.harness + "/tools/broken.toml"))
        #expect(try submit("A broken tool").contains("experiment 6: crash — The harness does not load"))

        let records = try ExperimentLedger(path: run.ledger).records()
        #expect(records.map(\.status) == [.baseline, .keep, .keep, .discard, .rejected, .crash, .crash], "\(records.map(\.reason))")
        #expect(records[5].stage == .spot && records[5].trials == 0)
        #expect(records[3].parentCommit == records[2].commitID)
        let main = try await HarnessRepository(directory: run.harness).commit(of: "main")
        #expect(main == records[2].commitID)
        #expect(!FileManager.default.fileExists(atPath: run.harness + "/tools/broken.toml"), "the work tree is back on main")
    }

    @Test func roundOfThreeCandidatesKeepsTheBestSurvivor() async throws {
        let otherAnswerTool = OptimizeScenario.answerTool.replacingOccurrences(of: "Write the final answer", with: "Save the final answer")
        let scenario = try OptimizeScenario(proposals: [
            Self.proposals[0],
            Self.proposals[2],
            [("write_file", Self.json(["path": "tools/answer.toml", "content": otherAnswerTool])),
             Self.submit("Add a save-answer tool", "Exact answers pass.")],
        ])
        let arguments = scenario.optimizeArguments(maxExperiments: 3) + ["--candidates", "3"]
        let r = try Executables.run("aa", arguments)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let records = try ExperimentLedger(path: OptimizeRunDirectory(path: scenario.runDirectory).ledger).records()
        #expect(records.map(\.status) == [.baseline, .discard, .keep, .discard], "\(records.map(\.reason))")
        #expect(records.dropFirst().map(\.round) == [1, 1, 1] && records.dropFirst().map(\.candidate) == [0, 1, 2])
        #expect(records[3].avgScore == 1 && records[3].reason.contains("experiment 2 of the same round did better"))
        #expect(Set(records.dropFirst().map(\.parentCommit)).count == 1, "every candidate of a round has the same parent")
        #expect(scenario.meta.conversations == 3)
    }

    @Test func interruptStopsAfterRecordingAndResumeFinishes() async throws {
        let scenario = try OptimizeScenario(proposals: [Self.proposals[2]])
        let run = OptimizeRunDirectory(path: scenario.runDirectory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Executables.directory + "/aa")
        process.arguments = scenario.optimizeArguments(maxExperiments: 1)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(240)
        while process.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: run.jobs(1) + "/search/config.json") {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(process.isRunning, "the process ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        let summary = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(summary.contains("stopped (signal)") && summary.contains("aa optimize --resume \(run.path)"), "\(summary)")
        let ledger = try ExperimentLedger(path: run.ledger)
        #expect(try ledger.info("state") == "stopped" && ledger.info("stop_reason") == "signal")
        #expect(try ledger.records().map(\.status) == [.baseline, .running])

        let resumed = try Executables.run("aa", ["optimize", "--resume", run.path, "-q"])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(try ledger.records().map(\.status) == [.baseline, .keep])
        #expect(try ledger.info("state") == "finished")
        #expect(scenario.meta.conversations == 1)
    }

    @Test func tokenCapStopsAJobMidway() async throws {
        let scenario = try OptimizeScenario(proposals: [Self.proposals[2]])
        let run = OptimizeRunDirectory(path: scenario.runDirectory)
        // Each scripted trial spends 250 tokens: the baseline's 24 trials spend 6,000; the cap falls inside the
        // candidate's search stage.
        let r = try Executables.run("aa", scenario.optimizeArguments(maxExperiments: 5) + ["--budget-tokens", "7000"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let ledger = try ExperimentLedger(path: run.ledger)
        #expect(try ledger.info("state") == "finished")
        #expect(try ledger.info("stop_reason")?.hasPrefix("token budget reached") == true)
        let records = try ledger.records()
        #expect(records.map(\.status) == [.baseline, .running])
        #expect(records[0].tokens == 6_000)
        let total = records.map(\.tokens).reduce(0, +)
        #expect(total >= 7_000 && total < 7_000 + 4 * 250, "the job stopped within the trials in flight (\(total))")
        let search = try PanelEvaluation.read(jobDirectory: run.jobs(1) + "/search")
        #expect(search.trials < 8 && search.cancelled)
    }

    @Test func timeCapStopsAJobMidway() async throws {
        // Every model reply takes 0.4 s, so the baseline's four stages take well over the 3 s cap: the cap must
        // end a job in progress, not wait for the baseline to finish.
        let scenario = try OptimizeScenario(proposals: [Self.proposals[2]], taskDelay: 0.4)
        let run = OptimizeRunDirectory(path: scenario.runDirectory)
        let r = try Executables.run("aa", scenario.optimizeArguments(maxExperiments: 5) + ["--budget-time", "3"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let ledger = try ExperimentLedger(path: run.ledger)
        #expect(try ledger.info("state") == "finished")
        #expect(try ledger.info("stop_reason")?.hasPrefix("time budget reached") == true)
        let records = try ledger.records()
        #expect(records.map(\.status) == [.running])
        #expect(try #require(records.first).wallSeconds >= 3)
        #expect(scenario.meta.conversations == 0)
    }
}
