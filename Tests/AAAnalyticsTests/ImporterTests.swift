@testable import AAAnalytics
import Foundation
import Logging
import Testing

@Suite struct ImporterTests {
    let logger = Logger(label: "test")

    @Test(arguments: ["ATIF-v1.0", "ATIF-v1.2", "ATIF-v1.5", "ATIF-v1.6", "ATIF-v1.7"])
    func readsATIFVersions(version: String) throws {
        let doc = Fixtures.atif(version: version, commands: [("ls -la /app", "total 0"), ("python3 run.py", "Traceback (most recent call last):\nValueError: bad")])
        let data = try JSONSerialization.data(withJSONObject: doc)
        let t = try ATIFImporter.parse(data, path: "trajectory.json")
        #expect(t.schemaVersion == version)
        #expect(t.agent == "terminus-2")
        #expect(t.model == "gpt-test")
        #expect(t.steps.map(\.kind) == [.toolCall, .toolCall, .message])
        #expect(t.steps.map(\.index) == [2, 3, 4])
        #expect(t.steps[0].command == "ls -la /app")
        #expect(t.steps[0].output == "total 0")
        #expect(t.steps[0].errorLine == nil)
        #expect(t.steps[1].errorLine == "ValueError: bad")
        #expect(t.steps[0].tokens == 110)
        #expect(t.promptTokens == 200)
        #expect(t.finalMessage == "Done.")
    }

    @Test func readsExitCodesFromExtraAndUnmatchedResults() throws {
        let doc: [String: Any] = [
            "schema_version": "ATIF-v1.7", "agent": ["name": "a", "version": "1"],
            "steps": [[
                "step_id": 1, "source": "agent", "message": "",
                "tool_calls": [["tool_call_id": "x", "function_name": "shell", "arguments": ["keystrokes": "make\n"]]],
                "observation": ["results": [["content": "make: *** No rule", "extra": ["exit_code": 2]]]],
            ]],
        ]
        let t = try ATIFImporter.parse(try JSONSerialization.data(withJSONObject: doc), path: "t.json")
        #expect(t.steps.count == 1)
        #expect(t.steps[0].command == "make\n")
        #expect(t.steps[0].exitCode == 2)
        #expect(t.steps[0].failed)
    }

    @Test func readsEmbeddedSubagentTrajectories() throws {
        var doc = Fixtures.atif(version: "ATIF-v1.7", commands: [("ls", "a b")])
        var sub = Fixtures.atif(version: "ATIF-v1.7", commands: [("grep -r foo .", "x.py:1: foo"), ("cat x.py", "foo")])
        sub["trajectory_id"] = "sub-1"
        doc["subagent_trajectories"] = [sub]
        let t = try ATIFImporter.parse(try JSONSerialization.data(withJSONObject: doc), path: "t.json")
        #expect(t.steps.compactMap(\.command) == ["ls", "grep -r foo .", "cat x.py"])
        #expect(t.steps.map(\.index) == [2, 3, 5, 6, 7])
        #expect(t.promptTokens == 300)
    }

    @Test func fileContentIsNotAnError() throws {
        let listing = "     1→class Job:\n     2→    FAILED = \"failed\"\n     3→    except Exception as e:"
        let doc: [String: Any] = [
            "schema_version": "ATIF-v1.2", "session_id": "s", "agent": ["name": "claude-code", "version": "2"],
            "steps": [
                ["step_id": 1, "source": "agent", "message": "",
                 "tool_calls": [["tool_call_id": "a", "function_name": "Read", "arguments": ["file_path": "/app/job.py"]]],
                 "observation": ["results": [["source_call_id": "a", "content": listing]]]],
                ["step_id": 2, "source": "agent", "message": "",
                 "tool_calls": [["tool_call_id": "b", "function_name": "Read", "arguments": ["file_path": "/app/missing.py"]]],
                 "observation": ["results": [["source_call_id": "b", "content": "Error: file not found: /app/missing.py"]]]],
                ["step_id": 3, "source": "agent", "message": "",
                 "tool_calls": [["tool_call_id": "c", "function_name": "Bash", "arguments": ["command": "python3 job.py"]]],
                 "observation": ["results": [["source_call_id": "c", "content": "{\"out\": \"line\\nValueError: bad input\"}"]]]],
            ],
        ]
        let t = try ATIFImporter.parse(try JSONSerialization.data(withJSONObject: doc), path: "t.json")
        #expect(t.steps.map(\.command) == ["Read file_path=/app/job.py", "Read file_path=/app/missing.py", "python3 job.py"])
        #expect(t.steps[0].errorLine == nil)
        #expect(t.steps[1].errorLine == "Error: file not found: /app/missing.py")
        // An escaped line break inside JSON output separates lines too.
        #expect(t.steps[2].errorLine == "ValueError: bad input\"}")
    }

    @Test func rejectsBadTrajectoriesNamingTheProblem() throws {
        #expect(throws: ImportError.self) { try ATIFImporter.parse(Data("{\"steps\": 3}".utf8), path: "a.json") }
        #expect(throws: ImportError.self) { try ATIFImporter.parse(Data("{\"schema_version\": \"ATIF-v2.0\", \"steps\": []}".utf8), path: "b.json") }
        do {
            _ = try ATIFImporter.parse(Data("not json".utf8), path: "c.json")
            Issue.record("accepted invalid JSON")
        } catch {
            #expect(error.description.hasPrefix("c.json: invalid JSON"))
        }
    }

    @Test func loadsAHarborJobFolder() throws {
        let jobs = Fixtures.folder("jobs")
        let job = jobs + "/2026-04-01__10-00-00"
        defer { try? FileManager.default.removeItem(atPath: jobs) }
        try Fixtures.writeHarborTrial(job: job, task: "fix-git", trajectory: Fixtures.atif(version: "ATIF-v1.2", commands: [("git status", "clean")]), reward: 1)
        try Fixtures.writeHarborTrial(job: job, task: "fix-git", trajectory: Fixtures.atif(version: "ATIF-v1.6", commands: [("git log", "")]),
                                      reward: nil, exception: "AgentTimeoutError", testOutput: "FAILED tests/test_x.py::test_a - AssertionError\n1 failed")
        try Fixtures.json(["id": "job", "n_total_trials": 2], to: job + "/result.json")
        let result = try JobImporter.load(paths: [jobs], logger: logger)
        #expect(result.trials.count == 2)
        #expect(result.problems.isEmpty)
        let failed = try #require(result.trials.first { $0.exception != nil })
        #expect(failed.job == "2026-04-01__10-00-00")
        #expect(failed.task == "fix-git")
        #expect(failed.exception == "AgentTimeoutError")
        #expect(failed.reward == nil)
        #expect(failed.promptTokens == 1200)
        #expect(failed.model == "gpt-test")
        #expect(abs((failed.durationSeconds ?? 0) - 150) < 1e-6)
        #expect(failed.verifierOutput?.contains("FAILED tests/test_x.py::test_a") == true)
        // Harbor gives no attempt numbers: the tables number a task's trials in name order.
        let tables = TableBuilder.build(result.trials)
        #expect(tables.trials.attempt.sorted() == [1, 2])
    }

    @Test func readsRewardFilesWhenResultHasNone() throws {
        let job = Fixtures.folder("job")
        defer { try? FileManager.default.removeItem(atPath: job) }
        let folder = job + "/t__abc"
        try FileManager.default.createDirectory(atPath: folder + "/agent", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/verifier", withIntermediateDirectories: true)
        try Fixtures.json(Fixtures.atif(version: "ATIF-v1.4", commands: [("true", "")]), to: folder + "/agent/trajectory.json")
        try "0.5\n".write(toFile: folder + "/verifier/reward.txt", atomically: true, encoding: .utf8)
        let record = JobImporter.readTrial(folder: folder, job: "job")
        #expect(record.task == "t")
        #expect(record.reward == 0.5)
    }

    @Test func loadsOurTracesAndReportsTornOnes() throws {
        let job = Fixtures.folder("ourjob")
        defer { try? FileManager.default.removeItem(atPath: job) }
        let calls = (1...6).map { Fixtures.Call(command: "echo \($0)", output: "\($0)") }
        try Fixtures.writeOurTrial(job: job, task: "hello", calls: calls, reward: 1)
        let torn = try Fixtures.writeOurTrial(job: job, task: "hello", calls: calls, reward: 0)
        let trace = torn + "/agent/trace.aatrace"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: trace)))
        bytes.removeLast(3)
        try Data(bytes).write(to: URL(fileURLWithPath: trace))

        let result = try JobImporter.load(paths: [job], logger: logger)
        #expect(result.trials.count == 2)
        let complete = try #require(result.trials.first { $0.problems.isEmpty })
        #expect(complete.steps.count == 6)
        #expect(complete.steps.allSatisfy { $0.kind == .toolCall && $0.exitCode == 0 && $0.tokens == 120 })
        #expect(complete.steps[2].command == "echo 3")
        #expect(complete.promptTokens == 600)
        #expect(complete.agent == "autoagent")
        #expect(complete.finalMessage == "The task is complete.")
        #expect(complete.durationSeconds == 42)
        let damaged = try #require(result.trials.first { !$0.problems.isEmpty })
        #expect(damaged.problems.first?.contains("torn tail") == true)
        // The torn last frame held trial_end: its duration is lost, everything before is kept.
        #expect(damaged.durationSeconds == nil)
        #expect(damaged.steps.count == 6)
        #expect(damaged.reward == 0)
        #expect(result.problems.count == 1)
    }

    @Test func reportsCorruptTracesWithoutFailing() throws {
        let job = Fixtures.folder("corrupt")
        defer { try? FileManager.default.removeItem(atPath: job) }
        let folder = try Fixtures.writeOurTrial(job: job, task: "t", calls: (1...8).map { Fixtures.Call(command: "echo \($0)") }, reward: 0)
        let trace = folder + "/agent/trace.aatrace"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: trace)))
        bytes[20] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: trace))
        let record = JobImporter.readTrial(folder: folder, job: "corrupt")
        #expect(record.problems.contains { $0.contains("damaged frame") })
        #expect(record.reward == 0)
    }

    @Test func rejectsAMissingInputFolder() {
        #expect(throws: ImportError.self) { try JobImporter.load(paths: ["/nonexistent/job"], logger: logger) }
    }

    @Test func parsesHarborTimestamps() {
        #expect(ISOTime.seconds("1970-01-01T00:00:00") == 0)
        #expect(ISOTime.seconds("2026-04-01T10:00:00Z") == 1_775_037_600)
        #expect(ISOTime.seconds("2026-04-01T12:00:00.5+02:00") == 1_775_037_600.5)
        #expect(ISOTime.seconds("yesterday") == nil)
    }
}
