import Foundation
import Glibc
import TestSupport
import Testing

/// `aa run` and `aa tasks` end to end, as a user runs them. They create sandboxes, so they need root.
@Suite(.serialized, .enabled(if: geteuid() == 0, "sandboxes need root"))
struct RunCommandTests {
    @Test func bundledSuitePassesTheQualityGate() throws {
        let jobs = JobsDirectory()
        let r = try Executables.run("aa", ["tasks", "check", "-p", Repository.bundledTasks, "-o", jobs.path, "-q"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").dropFirst(2).filter { $0.contains("  ") }
        #expect(rows.count >= 12, "the bundled suite has at least 12 tasks")
        for row in rows {
            let cells = row.split(separator: " ", omittingEmptySubsequences: true)
            #expect(cells.count == 4 && cells[1] == "0.00" && cells[2] == "1.00" && cells[3] == "ok", "\(row)")
        }
    }

    @Test func oracleJobWritesHarborsJobFolder() throws {
        let jobs = JobsDirectory()
        let r = try Executables.run("aa", ["run", "-p", Repository.bundledTasks, "-i", "hello-file", "--task-name", "csv-*",
                                           "-a", "oracle", "-o", jobs.path, "--job-name", "j", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("pass rate 2/2"))
        let config = jobs.json("j/config.json")
        #expect(config["job_name"] as? String == "j")
        #expect(config["n_attempts"] as? Int == 1)
        #expect((config["agents"] as? [[String: Any]])?.first?["name"] as? String == "oracle")
        #expect((config["environment"] as? [String: Any])?["type"] == nil, "Harbor's environment type names only its own backends")
        let result = jobs.json("j/result.json")
        #expect(result["n_total_trials"] as? Int == 2)
        #expect(result["finished_at"] is String)
        let stats = result["stats"] as? [String: Any]
        #expect(stats?["n_completed_trials"] as? Int == 2)
        #expect((stats?["evals"] as? [String: Any])?.keys.first == "oracle__tasks")
        let trials = jobs.trials("j")
        #expect(trials.count == 2)
        for trial in trials {
            let dir = jobs.path + "/j/" + trial
            for file in ["config.json", "result.json", "trial.log", "agent/oracle.txt", "agent/trajectory.json",
                         "agent/trace.aatrace", "verifier/test-stdout.txt", "artifacts"] {
                #expect(FileManager.default.fileExists(atPath: dir + "/" + file), "\(trial) lacks \(file)")
            }
            let trace = FileManager.default.contents(atPath: dir + "/agent/trace.aatrace") ?? Data()
            #expect(trace.starts(with: Array("AATRACE".utf8)))
            let record = jobs.json("j/\(trial)/result.json")
            for key in ["id", "task_name", "trial_name", "trial_uri", "task_id", "task_checksum", "config", "agent_info",
                        "verifier_result", "started_at", "finished_at", "environment_setup", "agent_execution", "verifier"] {
                #expect(record[key] != nil, "result.json lacks \(key)")
            }
            #expect(jobs.reward("j", trial) == 1)
            let trajectory = jobs.json("j/\(trial)/agent/trajectory.json")
            #expect(trajectory["schema_version"] as? String == "ATIF-v1.6")
        }
        #expect(FileManager.default.fileExists(atPath: jobs.path + "/j/job.log"))
        #expect(!FileManager.default.fileExists(atPath: jobs.path + "/j/.aa-stage"))
    }

    /// Also with Docker's default capabilities kept inside: they act only on the sandbox's own ids.
    @Test(arguments: [[], ["--cap-add", "docker"]])
    func rewardForgeryScoresZero(extra: [String]) throws {
        let jobs = JobsDirectory()
        let r = try Executables.run("aa", ["run", "-p", Repository.fixtures("forgery"), "-o", jobs.path, "--job-name", "f", "-q", "-n", "4"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let trials = jobs.trials("f")
        #expect(trials.count == 4)
        for trial in trials {
            #expect(jobs.reward("f", trial) == 0, "\(trial) was forged")
            #expect(jobs.exceptionType("f", trial) == nil, "\(trial): \(jobs.exceptionType("f", trial) ?? "")")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: jobs.path + "/f/" + trial + "/verifier")) ?? []
            #expect(files.sorted() == ["reward.txt", "test-stdout.txt"], "\(trial) verifier folder: \(files)")
            let trace = FileManager.default.contents(atPath: jobs.path + "/f/" + trial + "/agent/trace.aatrace") ?? Data()
            #expect(trace.starts(with: Array("AATRACE".utf8)), "\(trial): the trace was replaced")
        }
    }

    @Test(arguments: [
        ("bad-type", "task bad-type: task.toml: agent.timeout_sec: must be a number"),
        ("bad-toml", "task bad-toml: task.toml: line 1: not valid TOML"),
        ("bad-network", "task bad-network: task.toml: environment.network_mode: must be one of"),
        ("no-test", "task no-test: tests/test.sh: is missing"),
    ])
    func malformedTasksAreRejectedWithTheField(task: String, message: String) throws {
        let jobs = JobsDirectory()
        let r = try Executables.run("aa", ["run", "-p", Repository.fixtures("malformed/" + task), "-o", jobs.path, "-q"])
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test(arguments: [
        ("failing-run", "EnvironmentBuildError", "environment/Dockerfile line 3: RUN exited with 1"),
        ("unsupported-instruction", "UnsupportedTaskError", "environment/Dockerfile line 3: VOLUME is not supported"),
        ("unknown-image", "UnsupportedTaskError", "image \"alpine:3.20\" has no base root filesystem"),
    ])
    func environmentProblemsFailTheTrialNamingTheLine(task: String, type: String, message: String) throws {
        let jobs = JobsDirectory()
        let r = try Executables.run("aa", ["run", "-p", Repository.fixtures("malformed/" + task), "-o", jobs.path, "--job-name", "m", "-q"])
        #expect(r.status == 0)
        let trial = try #require(jobs.trials("m").first)
        #expect(jobs.exceptionType("m", trial) == type)
        let info = jobs.json("m/\(trial)/result.json")["exception_info"] as? [String: Any]
        #expect((info?["exception_message"] as? String)?.contains(message) == true, "\(info ?? [:])")
        #expect(r.stdout.contains(message))
    }

    @Test func agentTimeoutKeepsTheVerifierAndMultipliersExtendIt() throws {
        let jobs = JobsDirectory()
        let fixtures = Repository.fixtures("lifecycle")
        _ = try Executables.run("aa", ["run", "-p", fixtures, "-i", "agent-timeout", "-o", jobs.path, "--job-name", "short", "-q", "-r", "2"])
        let trial = try #require(jobs.trials("short").first)
        #expect(jobs.exceptionType("short", trial) == "AgentTimeoutError")
        #expect(jobs.reward("short", trial) == 0, "the verifier runs after an agent timeout")
        #expect((jobs.json("short/result.json")["stats"] as? [String: Any])?["n_retries"] as? Int == 0, "timeouts are not retried by default")
        _ = try Executables.run("aa", ["run", "-p", fixtures, "-i", "agent-timeout", "-o", jobs.path, "--job-name", "long", "-q",
                                       "--agent-timeout-multiplier", "6"])
        let long = try #require(jobs.trials("long").first)
        #expect(jobs.exceptionType("long", long) == nil)
        #expect(jobs.reward("long", long) == 1)
    }

    @Test func failedTrialsAreRetried() throws {
        let jobs = JobsDirectory()
        let r = try Executables.run("aa", ["run", "-p", Repository.fixtures("lifecycle"), "-i", "failing-agent", "-o", jobs.path,
                                           "--job-name", "r", "-q", "-r", "2"])
        #expect(r.status == 0)
        #expect(jobs.trials("r").count == 1, "a retried trial replaces the failed one")
        #expect((jobs.json("r/result.json")["stats"] as? [String: Any])?["n_retries"] as? Int == 2)
        let trial = try #require(jobs.trials("r").first)
        #expect(jobs.exceptionType("r", trial) == "NonZeroAgentExitCodeError")
        #expect(FileManager.default.contents(atPath: jobs.path + "/r/" + trial + "/agent/exit-code.txt") == Data("3\n".utf8))
    }

    @Test func rewardFilesFollowHarbor() throws {
        let jobs = JobsDirectory()
        _ = try Executables.run("aa", ["run", "-p", Repository.fixtures("lifecycle"), "-i", "multi-reward", "-i", "no-reward",
                                       "-o", jobs.path, "--job-name", "w", "-q"])
        let trials = jobs.trials("w")
        let multi = try #require(trials.first { $0.hasPrefix("multi-reward") })
        let rewards = (jobs.json("w/\(multi)/result.json")["verifier_result"] as? [String: Any])?["rewards"] as? [String: Double]
        #expect(rewards == ["accuracy": 0.5, "style": 1])
        let none = try #require(trials.first { $0.hasPrefix("no-reward") })
        #expect(jobs.exceptionType("w", none) == "RewardFileNotFoundError")
    }

    @Test func prebuiltImagesGetTheEnvironmentFolderWorkdirEnvAndArtifacts() throws {
        let jobs = JobsDirectory()
        let r = try Executables.run("aa", ["run", "-p", Repository.fixtures("lifecycle"), "-i", "prebuilt-image", "-o", jobs.path,
                                           "--job-name", "p", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let trial = try #require(jobs.trials("p").first)
        #expect(jobs.exceptionType("p", trial) == nil)
        #expect(jobs.reward("p", trial) == 1)
        let artifacts = jobs.path + "/p/" + trial + "/artifacts"
        #expect(FileManager.default.contents(atPath: artifacts + "/output.txt") == Data("line one\nhello from the task\n".utf8))
        #expect(FileManager.default.fileExists(atPath: artifacts + "/workdir/output.txt"))
        #expect(!FileManager.default.fileExists(atPath: artifacts + "/workdir/input.txt"), "exclude is honoured")
        #expect(FileManager.default.fileExists(atPath: artifacts + "/manifest.json"))
    }

    @Test func aFailingHealthcheckFailsTheTrialBeforeTheAgent() throws {
        let jobs = JobsDirectory()
        _ = try Executables.run("aa", ["run", "-p", Repository.fixtures("lifecycle"), "-i", "unhealthy", "-o", jobs.path,
                                       "--job-name", "h", "-q"])
        let trial = try #require(jobs.trials("h").first)
        #expect(jobs.exceptionType("h", trial) == "HealthcheckError")
        #expect(jobs.reward("h", trial) == nil)
        #expect(!FileManager.default.fileExists(atPath: jobs.path + "/h/" + trial + "/agent/oracle.txt"), "the agent never ran")
    }

    @Test func theDockerfileSubsetBuildsAsDockerWould() throws {
        let jobs = JobsDirectory()
        _ = try Executables.run("aa", ["run", "-p", Repository.fixtures("lifecycle"), "-i", "dockerfile-features", "-o", jobs.path,
                                       "--job-name", "d", "-q"])
        let trial = try #require(jobs.trials("d").first)
        let output = (try? String(contentsOfFile: jobs.path + "/d/" + trial + "/verifier/test-stdout.txt", encoding: .utf8)) ?? ""
        #expect(jobs.reward("d", trial) == 1, "\(output)")
    }

    @Test func layersAreReusedUnlessForced() throws {
        let jobs = JobsDirectory()
        func key(_ job: String, _ extra: [String]) throws -> String {
            _ = try Executables.run("aa", ["run", "-p", Repository.bundledTasks, "-i", "word-frequency", "-o", jobs.path,
                                           "--job-name", job, "-q"] + extra)
            let trial = try #require(jobs.trials(job).first)
            let log = (try? String(contentsOfFile: jobs.path + "/\(job)/\(trial)/trial.log", encoding: .utf8)) ?? ""
            return try #require(log.range(of: #"key [0-9a-f]{12}"#, options: .regularExpression).map { String(log[$0]) })
        }
        let first = try key("a", [])
        #expect(try key("b", []) == first, "an unchanged task reuses its layers")
        #expect(try key("c", ["--force-build"]) != first, "--force-build builds new layers")
    }

    @Test func attemptsMultiplyTrials() throws {
        let jobs = JobsDirectory()
        _ = try Executables.run("aa", ["run", "-p", Repository.fixtures("lifecycle"), "-i", "slow", "-k", "3", "-n", "3",
                                       "-o", jobs.path, "--job-name", "k", "-q"])
        #expect(jobs.trials("k").count == 3)
        let evals = (jobs.json("k/result.json")["stats"] as? [String: Any])?["evals"] as? [String: [String: Any]]
        let passAtK = evals?.values.first?["pass_at_k"] as? [String: Double]
        #expect(passAtK?["1"] == 1)
        #expect(passAtK?["2"] == 1)
    }

    /// Runs `slow` six times two at a time, stops it midway with `sig`, runs the same command again,
    /// and checks that exactly six trials exist, each finished once.
    func stopAndResume(_ sig: Int32) throws -> (first: (status: Int32, stdout: String, stderr: String), jobs: JobsDirectory) {
        let jobs = JobsDirectory()
        let arguments = ["run", "-p", Repository.fixtures("lifecycle"), "-i", "slow", "-k", "6", "-n", "2", "-o", jobs.path,
                         "--job-name", "resume", "-q"]
        let first = try RunningCommand(arguments)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let done = jobs.trials("resume").filter { FileManager.default.fileExists(atPath: jobs.path + "/resume/" + $0 + "/result.json") }
            if done.count >= 2 { break }
            usleep(50_000)
        }
        first.signal(sig)
        let firstResult = first.wait()
        let finishedBefore = jobs.trials("resume").filter { FileManager.default.fileExists(atPath: jobs.path + "/resume/" + $0 + "/result.json") }
        #expect(finishedBefore.count >= 2 && finishedBefore.count < 6, "stopped after \(finishedBefore.count) trials")
        let second = try Executables.run("aa", arguments)
        #expect(second.status == 0, "\(second.stderr)")
        let trials = jobs.trials("resume")
        #expect(trials.count == 6, "\(trials)")
        for name in finishedBefore { #expect(trials.contains(name), "finished trial \(name) was run again") }
        for trial in trials { #expect(jobs.reward("resume", trial) == 1) }
        let result = jobs.json("resume/result.json")
        #expect(result["n_total_trials"] as? Int == 6)
        #expect((result["trial_results"] as? [Any])?.count == 6)
        return (firstResult, jobs)
    }

    @Test func aJobIsDrivenByOneProcessAtATime() throws {
        let jobs = JobsDirectory()
        let arguments = ["run", "-p", Repository.fixtures("lifecycle"), "-i", "slow", "-k", "3", "-n", "1", "-o", jobs.path,
                         "--job-name", "once", "-q"]
        let first = try RunningCommand(arguments)
        let deadline = Date().addingTimeInterval(30)
        while jobs.trials("once").isEmpty && Date() < deadline { usleep(20_000) }
        let second = try Executables.run("aa", arguments)
        #expect(second.status != 0)
        #expect(second.stderr.contains("is being run by another aa process"), "\(second.stderr)")
        #expect(first.wait().status == 0)
        #expect(jobs.trials("once").count == 3)
    }

    @Test func killedJobResumesExactly() throws {
        let (first, _) = try stopAndResume(SIGKILL)
        #expect(first.status != 0)
    }

    @Test func ctrlCStopsCleanlyAndResumes() throws {
        let (first, _) = try stopAndResume(SIGINT)
        #expect(first.status == 130)
        #expect(first.stdout.contains("resume"))
    }
}
