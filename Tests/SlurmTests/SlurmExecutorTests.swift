import AACore
import Foundation
import Glibc
import TestSupport
import Testing

/// `aa run --executor slurm` against a real single-node Slurm cluster (slurmctld, slurmd, munged).
@Suite(.serialized, .enabled(if: geteuid() == 0, "the cluster's daemons and the sandboxes need root"))
final class SlurmExecutorTests {
    let cluster: TestCluster
    let work: String
    static let bundled = TestCluster.repository + "/examples/tasks"

    init() throws {
        cluster = try sharedCluster.get()
        work = FileManager.default.temporaryDirectory.appendingPathComponent("aa-slurm-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: work) }

    /// A suite of `hello-file` and `slow-hello`, a copy whose oracle takes `seconds` before it answers,
    /// so that its array task is surely running when a test interrupts the job.
    func slowSuite(seconds: Int) throws -> String {
        let suite = work + "/suite"
        try FileManager.default.createDirectory(atPath: suite, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.bundled + "/hello-file", toPath: suite + "/hello-file")
        try copyHelloFile(as: "slow-hello", into: suite)
        try "#!/bin/bash\nsleep \(seconds)\necho 'Hello, world!' > /app/hello.txt\n"
            .write(toFile: suite + "/slow-hello/solution/solve.sh", atomically: true, encoding: .utf8)
        return suite
    }

    /// A copy of the bundled `hello-file` task under another name.
    func copyHelloFile(as name: String, into suite: String) throws {
        try FileManager.default.copyItem(atPath: Self.bundled + "/hello-file", toPath: suite + "/" + name)
        let toml = try String(contentsOfFile: suite + "/\(name)/task.toml", encoding: .utf8)
            .replacingOccurrences(of: "name = \"hello-file\"", with: "name = \"\(name)\"")
        try toml.write(toFile: suite + "/\(name)/task.toml", atomically: true, encoding: .utf8)
    }

    func runArguments(suite: String, job: String, executor: String = "slurm") -> [String] {
        ["run", "-p", suite, "-o", work + "/jobs", "--job-name", job, "-n", "2", "--executor", executor,
         "--slurm-poll-interval", "0.5", "--slurm-mem", "256"]
    }

    var aa: String { Executables.directory + "/aa" }

    func runAA(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(aa, arguments, environment: ["SLURM_CONF": cluster.configuration])
    }

    func startAA(_ arguments: [String], log: String) throws -> Shell.Child {
        try Shell.start(aa, arguments, environment: ["SLURM_CONF": cluster.configuration], output: log)
    }

    func jobResult(_ job: String) throws -> JobResultRecord {
        try JSONDecoder().decode(JobResultRecord.self, from: Data(contentsOf: URL(fileURLWithPath: "\(work)/jobs/\(job)/result.json")))
    }

    func jobLog(_ job: String) -> String { (try? String(contentsOfFile: "\(work)/jobs/\(job)/job.log", encoding: .utf8)) ?? "" }

    /// Trial folders of a job (those with a result.json), by task.
    func trialFolders(_ job: String) -> [String: [String]] {
        let dir = "\(work)/jobs/\(job)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var out: [String: [String]] = [:]
        for name in names where name.contains("__") && FileManager.default.fileExists(atPath: "\(dir)/\(name)/result.json") {
            out[String(name[..<name.range(of: "__")!.lowerBound]), default: []].append(name)
        }
        return out
    }

    /// The array job id and index that run `task` in the job's first submission.
    func arrayTask(job: String, task: String) throws -> (id: String, index: Int)? {
        let dir = "\(work)/jobs/\(job)/.aa-slurm"
        guard let id = try? String(contentsOfFile: dir + "/submit-1.id", encoding: .utf8),
              let plan = try? JSONDecoder().decode(SlurmSubmission.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/submit-1.json"))),
              let index = plan.entries.firstIndex(where: { $0.taskName == task }) else { return nil }
        return (id.trimmingCharacters(in: .whitespacesAndNewlines), index)
    }

    /// Slurm's state of an array task while it is queued or running; nil once it left the queue.
    func queueState(_ task: (id: String, index: Int)) throws -> String? {
        let r = try cluster.client("squeue", ["--noheader", "--array", "--format=%F|%K|%T"])
        return r.stdout.split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: "|").map(String.init)
            return f.count == 3 && f[0] == task.id && f[1] == String(task.index) ? f[2] : nil
        }.first
    }

    /// Waits until `task`'s array task runs and its agent has started; returns the array task.
    func waitRunning(job: String, task: String) throws -> (id: String, index: Int) {
        var found: (id: String, index: Int)?
        let ok = try Shell.wait(timeout: 60) {
            found = try arrayTask(job: job, task: task)
            guard let found, try queueState(found) == "RUNNING" else { return false }
            return agentStarted(job: job, task: task)
        }
        guard ok, let found else { throw TestCluster.ClusterError(message: "\(task) of \(job) never ran; job.log: \(jobLog(job))") }
        return found
    }

    func agentStarted(job: String, task: String) -> Bool {
        let dir = "\(work)/jobs/\(job)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.contains { name in
            name.hasPrefix(task + "__")
                && ((try? String(contentsOfFile: "\(dir)/\(name)/trial.log", encoding: .utf8))?.contains("agent oracle starts") ?? false)
        }
    }

    @Test func bundledSuiteGivesTheLocalRewards() throws {
        let slurm = try runAA(runArguments(suite: Self.bundled, job: "slurm"))
        #expect(slurm.status == 0, "\(slurm.stderr)")
        let local = try runAA(runArguments(suite: Self.bundled, job: "local", executor: "local"))
        #expect(local.status == 0, "\(local.stderr)")
        let viaSlurm = try jobResult("slurm")
        let here = try jobResult("local")
        let rewards = { (r: JobResultRecord) in Dictionary(r.trialResults.map { ($0.taskName, $0.reward) }, uniquingKeysWith: { a, _ in a }) }
        #expect(viaSlurm.trialResults.count == 13)
        #expect(rewards(viaSlurm) == rewards(here))
        #expect(viaSlurm.finishedAt != nil)
        #expect(jobLog("slurm").contains("as Slurm array job"))
        #expect(trialFolders("slurm").values.allSatisfy { $0.count == 1 })
        let analyze = try runAA(["analyze", "\(work)/jobs/slurm"])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        #expect(analyze.stdout.contains("Trials: 13, failed: 0"))
    }

    @Test func optimizeRunsItsPanelsThroughSlurm() throws {
        let suite = try slowSuite(seconds: 0)
        try copyHelloFile(as: "hello-again", into: suite)
        try "search = [\"hello-file\"]\nvalidation = [\"slow-hello\"]\ntest = [\"hello-again\"]\n"
            .write(toFile: work + "/panels.toml", atomically: true, encoding: .utf8)
        // The task model writes the file, then says it is done.
        let model = try ScriptedModelServer(responder: { request in
            let messages = request.json?["messages"] as? [[String: Any]] ?? []
            if messages.last?["role"] as? String == "tool" { return ScriptedReplies.openAIText("Done.") }
            return ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"printf 'Hello, world!\\n' > /app/hello.txt"}"#)
        })
        defer { model.stop() }
        let run = work + "/run"
        let r = try runAA(["optimize", "-p", suite, "--harness", TestCluster.repository + "/examples/harness", "--run-dir", run,
                           "--panels", work + "/panels.toml", "--program", TestCluster.repository + "/program.md",
                           "-k", "1", "-n", "2", "--max-experiments", "0", "-m", "scripted", "--ak", "base_url=\(model.baseURL)",
                           "--mk", "base_url=\(model.baseURL)", "-q", "--executor", "slurm", "--slurm-poll-interval", "0.5",
                           "--slurm-mem", "256"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let ledger = try ExperimentLedger(path: run + "/ledger.sqlite")
        let baseline = try #require(try ledger.records().first)
        #expect(baseline.status == .baseline)
        #expect(baseline.avgScore == 1 && baseline.validationScore == 1 && baseline.testScore == 1)
        for stage in ["search", "search-rerun", "validation", "test"] {
            let submitted = OptimizeRunDirectory(path: run).jobs(0) + "/\(stage)/.aa-slurm/submit-1.id"
            #expect(FileManager.default.fileExists(atPath: submitted), "the \(stage) job did not go through Slurm")
        }
    }

    @Test func aBatchRunsSeveralTrialsInOneArrayTask() throws {
        let suite = try slowSuite(seconds: 0)
        let r = try runAA(runArguments(suite: suite, job: "batch") + ["--slurm-batch", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(jobLog("batch").contains("submitted 2 trials as Slurm array job"))
        #expect(jobLog("batch").contains("of 1 tasks"))
        let plan = try FileManager.default.attributesOfItem(atPath: "\(work)/jobs/batch/.aa-slurm/submit-1.json")
        #expect((plan[.posixPermissions] as? Int) == 0o600)
        #expect(try jobResult("batch").trialResults.map(\.reward) == [1, 1])
        #expect(trialFolders("batch").mapValues(\.count) == ["hello-file": 1, "slow-hello": 1])
    }

    @Test func killedControllerIsResumedByAdoptingItsArrays() throws {
        let suite = try slowSuite(seconds: 8)
        let args = runArguments(suite: suite, job: "resume")
        let first = try startAA(args, log: work + "/first.log")
        let slow = try waitRunning(job: "resume", task: "slow-hello")
        first.signal(SIGKILL)
        #expect(first.wait() == 128 + SIGKILL)
        #expect(try queueState(slow) == "RUNNING")
        let submissions = jobLog("resume").components(separatedBy: "as Slurm array job").count - 1
        let local = try runAA(runArguments(suite: suite, job: "resume", executor: "local"))
        #expect(local.status != 0)
        #expect(local.stderr.contains("still queued or running; resume it with --executor slurm"))

        let second = try runAA(args)
        #expect(second.status == 0, "\(second.stderr)")
        let log = jobLog("resume")
        #expect(log.contains("adopted Slurm array task \(slow.id)_\(slow.index)"))
        #expect(log.components(separatedBy: "as Slurm array job").count - 1 == submissions)
        let result = try jobResult("resume")
        #expect(result.trialResults.map(\.reward) == [1, 1])
        #expect(result.stats.nRetries == 0)
        #expect(trialFolders("resume").mapValues(\.count) == ["hello-file": 1, "slow-hello": 1])
    }

    @Test func interruptCancelsTheArray() throws {
        let suite = try slowSuite(seconds: 60)
        let run = try startAA(runArguments(suite: suite, job: "cancel"), log: work + "/cancel.log")
        let slow = try waitRunning(job: "cancel", task: "slow-hello")
        run.signal(SIGINT)
        #expect(run.wait() == 130)
        #expect(try queueState(slow) == nil)
        #expect(jobLog("cancel").contains("cancelled Slurm array jobs \(slow.id)"))
        let result = try jobResult("cancel")
        #expect(result.finishedAt == nil)
        #expect(!result.trialResults.contains { $0.taskName == "slow-hello" })
        #expect(result.stats.nCancelledTrials == 2 - result.trialResults.count)
        #expect(trialFolders("cancel")["slow-hello"] == nil)
    }

    @Test func trialsOfAFailedNodeRunAgainWhenItReturns() throws {
        let suite = try slowSuite(seconds: 8)
        let run = try startAA(runArguments(suite: suite, job: "node"), log: work + "/node.log")
        _ = try waitRunning(job: "node", task: "slow-hello")
        // The node fails: its slurmd goes, and the controller declares it down (Slurm then ends its jobs with NODE_FAIL).
        let pid = try #require(pid_t(try String(contentsOfFile: cluster.slurmdPidFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        try #require(pid > 1)
        kill(pid, SIGTERM)
        let host = try Shell.run("/bin/hostname", ["-s"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let down = try cluster.client("scontrol", ["update", "NodeName=\(host)", "State=DOWN", "Reason=aa-test"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(Shell.wait(timeout: 60) { jobLog("node").contains("ended without a result (NODE_FAIL; its output: ") })
        // A cut-off node's process may still write into the lost trial's folder: the job must not keep it.
        let lostLine = try #require(jobLog("node").split(separator: "\n").first { $0.contains("(NODE_FAIL;") })
        let lostTrial = try #require(lostLine.split(separator: " ").first { $0.hasPrefix("hello-file__") || $0.hasPrefix("slow-hello__") })
            .trimmingCharacters(in: CharacterSet(charactersIn: "()"))
        try FileManager.default.createDirectory(atPath: "\(work)/jobs/node/\(lostTrial)/agent", withIntermediateDirectories: true)
        _ = try TestCluster.start(in: cluster.directory)
        #expect(run.wait() == 0)
        let result = try jobResult("node")
        #expect(result.trialResults.map(\.reward) == [1, 1])
        #expect(result.stats.nRetries >= 1)
        #expect(trialFolders("node").mapValues(\.count) == ["hello-file": 1, "slow-hello": 1])
        #expect(!FileManager.default.fileExists(atPath: "\(work)/jobs/node/\(lostTrial)"))
    }
}
