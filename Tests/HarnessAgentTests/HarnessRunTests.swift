import AAAnalytics
import AACore
import Foundation
import Glibc
import TestSupport
import Testing

/// `aa run -a harness` end to end: the agent loop runs in `aa`, talks to the scripted server on
/// loopback, and runs its tool calls in real sandboxes. Needs root.
@Suite(.serialized, .enabled(if: geteuid() == 0, "sandboxes need root"))
struct HarnessRunTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A jobs directory for one test, removed afterwards.
    final class Jobs {
        let path = "/var/tmp/aa-harness-tests-\(UUID().uuidString)"
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func json(_ relative: String) throws -> [String: Any] {
            let data = try #require(FileManager.default.contents(atPath: path + "/" + relative), "\(relative) is missing")
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// What breaks ATIF's rules in a written trajectory.
        func atifProblems(_ relative: String) throws -> [String] {
            let data = try #require(FileManager.default.contents(atPath: path + "/" + relative), "\(relative) is missing")
            return TrajectoryValidator.problems(in: try JSONValue.parse(Array(data)))
        }

        func trial(_ job: String) throws -> String {
            let names = try FileManager.default.contentsOfDirectory(atPath: path + "/" + job).filter { $0.contains("__") }
            return try #require(names.first)
        }
    }

    func runAA(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Executables.run("aa", arguments)
    }

    func run(server: ScriptedModelServer, harness: String, jobs: Jobs, extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        try runAA(["run", "-p", Self.root + "/examples/tasks", "-i", "hello-file", "-a", "harness", "--harness", harness,
                   "--ak", "base_url=\(server.baseURL)", "-m", "scripted", "-o", jobs.path, "--job-name", "j", "-q"] + extra)
    }

    @Test func anthropicProviderSolvesTheTask() throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.anthropicToolUse("bash", input: #"{"command":"printf 'Hello, world!\\n' > /app/hello.txt"}"#),
            ScriptedReplies.anthropicText("Done."),
        ])
        defer { server.stop() }
        let jobs = Jobs()
        let r = try run(server: server, harness: Self.root + "/examples/harness", jobs: jobs, extra: ["--ak", "provider=anthropic"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("pass rate 1/1"), "\(r.stdout)")
        try #require(server.received.map(\.path) == ["/v1/messages", "/v1/messages"])
        let second = try #require(server.received[1].json?["messages"] as? [[String: Any]])
        let result = (second.last?["content"] as? [[String: Any]])?.first
        #expect(result?["type"] as? String == "tool_result" && result?["tool_use_id"] as? String == "toolu_1")
        #expect((result?["content"] as? String)?.hasPrefix("exit code: 0") == true)
        let trial = try jobs.trial("j")
        let trajectory = try jobs.json("j/\(trial)/agent/trajectory.json")
        #expect(try jobs.atifProblems("j/\(trial)/agent/trajectory.json") == [])
        let tools = (trajectory["agent"] as? [String: Any])?["tool_definitions"] as? [[String: Any]]
        #expect((tools?.first?["function"] as? [String: Any])?["name"] as? String == "bash")
        let agentResult = try jobs.json("j/\(trial)/result.json")["agent_result"] as? [String: Any]
        #expect(agentResult?["n_input_tokens"] as? Int == 80 + 70)
        #expect(agentResult?["n_cache_tokens"] as? Int == 30)
    }

    @Test func solvesATaskThroughTheScriptedServer() throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"printf 'Hello, world!\\n' > /app/hello.txt && seq 1 5000"}"#,
                                           id: "call_1"),
            ScriptedReplies.openAIToolCall("bash", arguments: #"{"command": "cat /app/hello.txt"#, id: "call_2"),
            ScriptedReplies.openAIText("The file is written."),
        ])
        defer { server.stop() }
        let jobs = Jobs()
        let r = try run(server: server, harness: Self.root + "/examples/harness", jobs: jobs)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("pass rate 1/1"), "\(r.stdout)")
        try #require(server.received.count == 3)
        let trial = try jobs.trial("j")

        let result = try jobs.json("j/\(trial)/result.json")
        let agentResult = try #require(result["agent_result"] as? [String: Any])
        #expect(agentResult["n_input_tokens"] as? Int == 320)
        #expect(agentResult["n_output_tokens"] as? Int == 50)
        #expect((agentResult["metadata"] as? [String: Any])?["stop_reason"] as? String == "finished")

        let trajectory = try jobs.json("j/\(trial)/agent/trajectory.json")
        let steps = try #require(trajectory["steps"] as? [[String: Any]])
        #expect(steps.map { $0["source"] as? String } == ["system", "user", "agent", "agent", "agent"])
        #expect(steps.map { $0["step_id"] as? Int } == [1, 2, 3, 4, 5])
        let first = (steps[2]["observation"] as? [String: Any])?["results"] as? [[String: Any]]
        let firstText = first?.first?["content"] as? String ?? ""
        #expect(firstText.contains("bytes cut; the full output") && firstText.contains("/tmp/aa/outputs/turn-1-call-1.txt"))
        let second = (steps[3]["observation"] as? [String: Any])?["results"] as? [[String: Any]]
        #expect((second?.first?["content"] as? String)?.contains("not valid JSON") == true)
        #expect(((steps[3]["tool_calls"] as? [[String: Any]])?.first?["arguments"] as? [String: Any])?["raw_arguments"] != nil)
        #expect((trajectory["final_metrics"] as? [String: Any])?["total_steps"] as? Int == 5)

        // The model saw the observations: the tool result of call_1 went back in the second request.
        let secondRequest = try #require(server.received[1].json?["messages"] as? [[String: Any]])
        #expect(secondRequest.last?["role"] as? String == "tool" && secondRequest.last?["tool_call_id"] as? String == "call_1")

        let events = try TraceReader.read(path: jobs.path + "/j/\(trial)/agent/trace.aatrace").events
        let kinds = events.map(\.kind)
        #expect(kinds.filter { $0 == .modelRequest }.count == 3)
        #expect(kinds.filter { $0 == .modelResponse }.count == 3)
        #expect(kinds.filter { $0 == .toolCall }.count == 2)
        #expect(kinds.filter { $0 == .observation }.count == 1)
        #expect(events.contains { $0.kind == .error && $0.category == "invalid_tool_call" })
        #expect(events.first { $0.kind == .modelResponse }?.finishReason == "tool_calls")
    }

    @Test func turnBudgetStopsTheAgent() throws {
        let server = try ScriptedModelServer([ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"echo again"}"#)])
        defer { server.stop() }
        let harness = try editedHarness(["turns = 30": "turns = 3"])
        defer { try? FileManager.default.removeItem(atPath: harness) }
        let jobs = Jobs()
        let r = try run(server: server, harness: harness, jobs: jobs)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(server.received.count == 3)
        let trial = try jobs.trial("j")
        let result = try jobs.json("j/\(trial)/result.json")
        let metadata = (result["agent_result"] as? [String: Any])?["metadata"] as? [String: Any]
        #expect(metadata?["stop_reason"] as? String == "budget_turns")
        let events = try TraceReader.read(path: jobs.path + "/j/\(trial)/agent/trace.aatrace").events
        let budget = try #require(events.first { $0.kind == .budget })
        #expect(budget.category == "turns" && budget.limit == 3 && budget.used == 3)
    }

    @Test func dollarBudgetStopsTheAgentAndCostIsReported() throws {
        let server = try ScriptedModelServer([ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"echo again"}"#)])
        defer { server.stop() }
        // 100 input tokens (40 of them cached) and 20 output tokens a call: $0.0006 at these prices, so the
        // budget of $0.0015 is spent after the third call.
        let harness = try editedHarness(["[budget]\nturns = 30": """
            [budget]
            turns = 30
            dollars = 0.0015

            [prices.scripted]
            input_per_mtok = 5
            output_per_mtok = 5
            cached_input_per_mtok = 5
            """])
        defer { try? FileManager.default.removeItem(atPath: harness) }
        let jobs = Jobs()
        let r = try run(server: server, harness: harness, jobs: jobs)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(server.received.count == 3)
        let trial = try jobs.trial("j")
        let agentResult = try jobs.json("j/\(trial)/result.json")["agent_result"] as? [String: Any]
        #expect((agentResult?["metadata"] as? [String: Any])?["stop_reason"] as? String == "budget_dollars")
        #expect(abs(((agentResult?["cost_usd"] as? Double) ?? 0) - 0.0018) < 1e-9)
        let trajectory = try jobs.json("j/\(trial)/agent/trajectory.json")
        #expect(abs((((trajectory["final_metrics"] as? [String: Any])?["total_cost_usd"] as? Double) ?? 0) - 0.0018) < 1e-9)
        let events = try TraceReader.read(path: jobs.path + "/j/\(trial)/agent/trace.aatrace").events
        #expect(events.contains { $0.kind == .budget && $0.category == "dollars" && $0.limit == 0.0015 })
    }

    @Test func jsonActionsAndValidatorsBeforeFinish() throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIText(#"{"thought":"nothing to do","action":"finish","arguments":{}}"#),
            ScriptedReplies.openAIText(#"{"thought":"write it","action":"bash","arguments":{"command":"printf 'Hello, world!\\n' > /app/hello.txt"}}"#),
            ScriptedReplies.openAIText(#"{"thought":"done","action":"finish","arguments":{}}"#),
        ])
        defer { server.stop() }
        let harness = try editedHarness([
            #"action_protocol = "tools""#: #"action_protocol = "json""#,
            "turns = 0\nvalidators = []": "turns = 2\nvalidators = [\"test -s /app/hello.txt\"]",
        ])
        defer { try? FileManager.default.removeItem(atPath: harness) }
        let jobs = Jobs()
        let r = try run(server: server, harness: harness, jobs: jobs)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("pass rate 1/1"), "\(r.stdout)")
        try #require(server.received.count == 3)
        let first = try #require(server.received.first?.json)
        #expect(first["tools"] == nil)
        #expect((first["response_format"] as? [String: Any])?["type"] as? String == "json_schema")
        let system = ((first["messages"] as? [[String: Any]])?.first?["content"] as? String) ?? ""
        #expect(system.contains("Tools:") && system.contains("- bash:"))
        let second = try #require(server.received[1].json?["messages"] as? [[String: Any]])
        #expect(second.last?["role"] as? String == "user")
        #expect((second.last?["content"] as? String)?.contains("does not pass these checks") == true)
        let third = try #require(server.received[2].json?["messages"] as? [[String: Any]])
        #expect((third.last?["content"] as? String)?.hasPrefix("Observation of bash") == true)
        let trial = try jobs.trial("j")
        let steps = try #require(try jobs.json("j/\(trial)/agent/trajectory.json")["steps"] as? [[String: Any]])
        #expect(steps.map { $0["source"] as? String } == ["system", "user", "agent", "user", "agent", "agent"])
        let events = try TraceReader.read(path: jobs.path + "/j/\(trial)/agent/trace.aatrace").events
        #expect(events.filter { $0.kind == .toolCall && $0.tool == "validator" }.count == 2)
    }

    @Test func aSubagentWorksOnItsTaskAndItsAnswerIsTheObservation() throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIToolCall("checker", arguments: #"{"task":"Does /app exist?"}"#, id: "call_1"),
            ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"ls -d /app"}"#, id: "call_s1"),
            ScriptedReplies.openAIText("Yes, /app exists."),
            ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"printf 'Hello, world!\\n' > /app/hello.txt"}"#, id: "call_2"),
            ScriptedReplies.openAIText("Done."),
        ])
        defer { server.stop() }
        let harness = try editedHarness([:])
        defer { try? FileManager.default.removeItem(atPath: harness) }
        try FileManager.default.createDirectory(atPath: harness + "/agents", withIntermediateDirectories: true)
        try "description = \"Answers a question about the environment.\"\nsystem = \"You inspect the environment and answer briefly.\"\nturns = 3\n"
            .write(toFile: harness + "/agents/checker.toml", atomically: true, encoding: .utf8)
        let jobs = Jobs()
        let r = try run(server: server, harness: harness, jobs: jobs)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("pass rate 1/1"), "\(r.stdout)")

        let received = server.received
        try #require(received.count == 5)
        let toolNames = { (i: Int) in ((received[i].json?["tools"] as? [[String: Any]]) ?? []).compactMap { ($0["function"] as? [String: Any])?["name"] as? String } }
        #expect(toolNames(0) == ["bash", "checker"])
        #expect(toolNames(1) == ["bash"])
        let subMessages = try #require(received[1].json?["messages"] as? [[String: Any]])
        #expect(subMessages.first?["content"] as? String == "You inspect the environment and answer briefly.")
        #expect(subMessages.last?["content"] as? String == "Does /app exist?")
        let mainMessages = try #require(received[3].json?["messages"] as? [[String: Any]])
        #expect(mainMessages.last?["role"] as? String == "tool" && mainMessages.last?["content"] as? String == "Yes, /app exists.")

        let trial = try jobs.trial("j")
        let trajectory = try jobs.json("j/\(trial)/agent/trajectory.json")
        #expect(trajectory["schema_version"] as? String == "ATIF-v1.7")
        #expect(try jobs.atifProblems("j/\(trial)/agent/trajectory.json") == [])
        let embedded = try #require(trajectory["subagent_trajectories"] as? [[String: Any]])
        #expect(embedded.count == 1 && embedded[0]["trajectory_id"] as? String == "checker-1")
        #expect((embedded[0]["steps"] as? [[String: Any]])?.count == 4)
        let steps = try #require(trajectory["steps"] as? [[String: Any]])
        let result = ((steps[2]["observation"] as? [String: Any])?["results"] as? [[String: Any]])?.first
        #expect((result?["subagent_trajectory_ref"] as? [[String: Any]])?.first?["trajectory_id"] as? String == "checker-1")
        let agentResult = try jobs.json("j/\(trial)/result.json")["agent_result"] as? [String: Any]
        #expect(agentResult?["n_input_tokens"] as? Int == 100 * 3 + 120 * 2)
    }

    /// A copy of the seed harness with text replacements in harness.toml.
    func editedHarness(_ replacements: [String: String]) throws -> String {
        let harness = NSTemporaryDirectory() + "aa-harness-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Self.root + "/examples/harness", toPath: harness)
        var config = try String(contentsOfFile: harness + "/harness.toml", encoding: .utf8)
        for (old, new) in replacements {
            #expect(config.contains(old), "the seed harness.toml no longer has \(old)")
            config = config.replacingOccurrences(of: old, with: new)
        }
        try config.write(toFile: harness + "/harness.toml", atomically: true, encoding: .utf8)
        return harness
    }

    @Test func badHarnessIsRejectedWithItsLine() throws {
        let harness = NSTemporaryDirectory() + "aa-harness-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Self.root + "/examples/harness", toPath: harness)
        defer { try? FileManager.default.removeItem(atPath: harness) }
        try "[agent]\naction_protocol = \"telepathy\"\n".write(toFile: harness + "/harness.toml", atomically: true, encoding: .utf8)
        let jobs = Jobs()
        let r = try runAA(["run", "-p", Self.root + "/examples/tasks", "-i", "hello-file", "-a", "harness", "--harness", harness,
                           "-o", jobs.path, "-q"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("harness.toml:2: agent.action_protocol"), "\(r.stderr)")
    }
}
