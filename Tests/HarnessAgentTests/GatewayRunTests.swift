import AACore
import Foundation
import Glibc
import TestSupport
import Testing

/// `aa run -a command`: an external agent (a Python script on the standard library) runs inside the
/// sandbox and reaches the scripted model only through the runner's gateway. Needs root.
@Suite(.serialized, .enabled(if: geteuid() == 0, "sandboxes need root"))
struct GatewayRunTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A tiny agent: asks the model, runs the command of its tool call, asks again; then probes the
    /// gateway with a wrong token and reports whether the real key is visible anywhere in its environment.
    static let agentScript = #"""
    cat > /tmp/agent.py <<'EOF'
    import json, os, subprocess, urllib.request, urllib.error
    base, key = os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
    def ask(messages, token=key):
        request = urllib.request.Request(base + "/chat/completions", method="POST",
            data=json.dumps({"model": "gpt-pretend", "messages": messages}).encode(),
            headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request) as reply:
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)
    messages = [{"role": "user", "content": open(os.environ["AA_INSTRUCTION_FILE"]).read()}]
    for turn in range(3):
        status, reply = ask(messages)
        print("call", turn, "status", status)
        if status != 200:
            print("refused:", reply["error"]["message"])
            break
        message = reply["choices"][0]["message"]
        calls = message.get("tool_calls") or []
        if not calls:
            break
        command = json.loads(calls[0]["function"]["arguments"])["command"]
        output = subprocess.run(["bash", "-c", command], capture_output=True, text=True).stdout
        messages += [message, {"role": "tool", "tool_call_id": calls[0]["id"], "content": output}]
    print("wrong token status", ask(messages, token="guess")[0])
    print("key visible" if any("secret-key-xyz" in v for v in os.environ.values()) else "key hidden")
    EOF
    python3 /tmp/agent.py
    """#

    final class Jobs {
        let path = "/var/tmp/aa-gateway-tests-\(UUID().uuidString)"
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func trial(_ job: String) throws -> String {
            let names = try FileManager.default.contentsOfDirectory(atPath: path + "/" + job).filter { $0.contains("__") }
            return try #require(names.first)
        }

        func text(_ relative: String) throws -> String {
            let data = try #require(FileManager.default.contents(atPath: path + "/" + relative), "\(relative) is missing")
            return String(decoding: data, as: UTF8.self)
        }
    }

    func run(server: ScriptedModelServer, jobs: Jobs, extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        try Executables.run("aa", ["run", "-p", Self.root + "/examples/tasks", "-i", "hello-file", "-a", "command",
                                   "--ak", "command=\(Self.agentScript)", "--ak", "base_url=\(server.baseURL)",
                                   "--ak", "api_key_env=AA_GATEWAY_TEST_KEY", "--ak", "input_per_mtok=1", "--ak", "output_per_mtok=2",
                                   "-m", "scripted", "-o", jobs.path, "--job-name", "j", "-q"] + extra,
                            environment: ["AA_GATEWAY_TEST_KEY": "secret-key-xyz"])
    }

    @Test func anExternalAgentSolvesTheTaskThroughTheGateway() throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"printf 'Hello, world!\\n' > /app/hello.txt"}"#, id: "call_1"),
            ScriptedReplies.openAIText("Done."),
        ])
        defer { server.stop() }
        let jobs = Jobs()
        let r = try run(server: server, jobs: jobs)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("pass rate 1/1"), "\(r.stdout)")

        // The provider saw the real key and the pinned model, never the gateway token.
        let received = server.received
        #expect(received.count == 2)
        #expect(received.allSatisfy { $0.headers["authorization"] == "Bearer secret-key-xyz" })
        #expect(received.allSatisfy { $0.json?["model"] as? String == "scripted" })

        let trial = try jobs.trial("j")
        let output = try jobs.text("j/\(trial)/agent/command.txt")
        #expect(output.contains("call 0 status 200") && output.contains("call 1 status 200"), "\(output)")
        #expect(output.contains("wrong token status 401"), "\(output)")
        #expect(output.contains("key hidden"), "\(output)")

        let result = try #require(try JSONSerialization.jsonObject(with: Data(jobs.text("j/\(trial)/result.json").utf8)) as? [String: Any])
        let agent = try #require(result["agent_result"] as? [String: Any])
        #expect(agent["n_input_tokens"] as? Int == 100 + 120)
        #expect(agent["n_output_tokens"] as? Int == 20 + 10)
        let cost = try #require(agent["cost_usd"] as? Double)
        #expect(abs(cost - (220.0 * 1 + 30.0 * 2) / 1_000_000) < 1e-12)

        let trajectory = try #require(try JSONSerialization.jsonObject(with: Data(jobs.text("j/\(trial)/agent/trajectory.json").utf8)) as? [String: Any])
        let steps = try #require(trajectory["steps"] as? [[String: Any]])
        #expect(steps.map { $0["source"] as? String } == ["user", "agent", "agent", "system"])
        #expect(TrajectoryValidator.problems(in: try JSONValue.parse(Array(jobs.text("j/\(trial)/agent/trajectory.json").utf8))) == [])
        let calls = steps[1]["tool_calls"] as? [[String: Any]]
        #expect(calls?.first?["function_name"] as? String == "bash")
    }

    @Test func theTokenBudgetStopsFurtherCalls() throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"true"}"#, id: "call_1"),
            ScriptedReplies.openAIText("Done."),
        ])
        defer { server.stop() }
        let jobs = Jobs()
        let r = try run(server: server, jobs: jobs, extra: ["--ak", "budget_tokens=50"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(server.received.count == 1)
        let output = try jobs.text("j/\(try jobs.trial("j"))/agent/command.txt")
        #expect(output.contains("call 1 status 403"), "\(output)")
        #expect(output.contains("tokens budget is used up"), "\(output)")
    }
}
