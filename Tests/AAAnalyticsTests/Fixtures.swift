import AAAnalytics
import Foundation

/// Hand-made trials, traces and job folders for the analytics tests.
enum Fixtures {
    /// A fresh temporary folder.
    static func folder(_ name: String = "aa-test") -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A tool call with its outcome.
    struct Call {
        var command: String
        var exit: Int = 0
        var output: String = ""
    }

    /// A trial record with one tool call per step.
    static func trial(_ task: String, name: String? = nil, reward: Double?, calls: [Call], exception: String? = nil,
                      finalMessage: String? = nil, verifier: String? = nil, budget: String? = nil, job: String = "job") -> TrialRecord {
        var r = TrialRecord(job: job, name: name ?? "\(task)__\(UUID().uuidString.prefix(7))", task: task, source: "fixture")
        r.reward = reward
        r.exception = exception
        r.finalMessage = finalMessage
        r.verifierOutput = verifier
        r.budgetExhausted = budget
        for (i, c) in calls.enumerated() {
            var s = TrialRecord.Step(index: i + 1, kind: .toolCall)
            s.tool = "bash"
            s.command = c.command
            s.exitCode = c.exit
            s.output = c.output
            s.outputBytes = c.output.utf8.count
            s.errorLine = TextExcerpt.errorLine(c.output) ?? (c.exit != 0 ? TextExcerpt.lastLine(c.output) : nil)
            r.steps.append(s)
        }
        return r
    }

    /// Events of one of our traces: start, per step a model response, tool call and observation, reward, end.
    static func events(task: String, trial: String, calls: [Call], reward: Double, exception: String? = nil) -> [TraceEvent] {
        var t = 1_700_000_000.0
        func next() -> Double { t += 1; return t }
        var start = TraceEvent(.trialStart, time: next())
        start.task = task
        start.trial = trial
        start.agent = "autoagent"
        start.model = "test-model"
        start.attempt = 1
        var events = [start]
        for (i, c) in calls.enumerated() {
            var response = TraceEvent(.modelResponse, time: next(), step: i + 1)
            response.promptTokens = 100
            response.completionTokens = 20
            response.latencySeconds = 0.5
            response.costUSD = 0.001
            response.text = i == calls.count - 1 ? "The task is complete." : nil
            var call = TraceEvent(.toolCall, time: next(), step: i + 1)
            call.tool = "bash"
            call.arguments = String(decoding: try! JSONSerialization.data(withJSONObject: ["command": c.command]), as: UTF8.self)
            var observation = TraceEvent(.observation, time: next(), step: i + 1)
            observation.exitCode = c.exit
            observation.stdoutBytes = c.output.utf8.count
            observation.stderrBytes = 0
            observation.excerpt = c.output
            events += [response, call, observation]
        }
        var r = TraceEvent(.reward, time: next())
        r.reward = reward
        var end = TraceEvent(.trialEnd, time: next())
        end.exception = exception
        end.durationSeconds = 42
        return events + [r, end]
    }

    /// Writes one of our trial folders (trace plus Harbor's result.json) under job.
    @discardableResult
    static func writeOurTrial(job: String, task: String, calls: [Call], reward: Double) throws -> String {
        let name = "\(task)__\(UUID().uuidString.prefix(7))"
        let folder = job + "/" + name
        try FileManager.default.createDirectory(atPath: folder + "/agent", withIntermediateDirectories: true)
        let writer = try TraceWriter(path: folder + "/agent/trace.aatrace", frameEvents: 4)
        for e in events(task: task, trial: name, calls: calls, reward: reward) { try writer.append(e) }
        try writer.close()
        try json(["task_name": task, "trial_name": name, "verifier_result": ["rewards": ["reward": reward]]], to: folder + "/result.json")
        return folder
    }

    /// Writes a Harbor trial folder: result.json, an ATIF trajectory and verifier output.
    @discardableResult
    static func writeHarborTrial(job: String, task: String, trajectory: [String: Any], reward: Double?,
                                 exception: String? = nil, testOutput: String? = nil) throws -> String {
        let name = "\(task)__\(UUID().uuidString.prefix(7))"
        let folder = job + "/" + name
        try FileManager.default.createDirectory(atPath: folder + "/agent", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/verifier", withIntermediateDirectories: true)
        var result: [String: Any] = [
            "id": UUID().uuidString, "task_name": task, "trial_name": name,
            "agent_info": ["name": "terminus-2", "version": "1.0", "model_info": ["name": "gpt-test", "provider": "openai"]],
            "agent_result": ["n_input_tokens": 1200, "n_output_tokens": 300, "cost_usd": 0.02],
            "started_at": "2026-04-01T10:00:00.123456", "finished_at": "2026-04-01T10:02:30.123456+00:00",
        ]
        if let reward { result["verifier_result"] = ["rewards": ["reward": reward]] }
        if let exception {
            result["exception_info"] = ["exception_type": exception, "exception_message": "\(exception) raised", "occurred_at": "2026-04-01T10:02:30"]
        }
        try json(result, to: folder + "/result.json")
        try json(trajectory, to: folder + "/agent/trajectory.json")
        if let testOutput { try testOutput.write(toFile: folder + "/verifier/test-stdout.txt", atomically: true, encoding: .utf8) }
        return folder
    }

    static func json(_ object: Any, to path: String) throws {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    /// An ATIF trajectory of the given version with one tool call per step (plus a user step first).
    static func atif(version: String, commands: [(String, String)], finalMessage: String = "Done.") -> [String: Any] {
        var steps: [[String: Any]] = [["step_id": 1, "source": "user", "message": "Fix the bug in /app."]]
        for (i, (command, output)) in commands.enumerated() {
            let id = "call_\(i)"
            var step: [String: Any] = [
                "step_id": i + 2, "source": "agent", "timestamp": "2026-04-01T10:00:0\(i % 10)Z",
                "message": "Running a command.",
                "tool_calls": [["tool_call_id": id, "function_name": "bash", "arguments": ["command": command]]],
                "observation": ["results": [["source_call_id": id, "content": output]]],
                "metrics": ["prompt_tokens": 100, "completion_tokens": 10],
            ]
            if version >= "ATIF-v1.6" { step["message"] = [["type": "text", "text": "Running a command."]] }
            if version >= "ATIF-v1.7" { step["llm_call_count"] = 1 }
            steps.append(step)
        }
        steps.append(["step_id": commands.count + 2, "source": "agent", "message": finalMessage])
        var root: [String: Any] = [
            "schema_version": version,
            "agent": ["name": "terminus-2", "version": "1.0", "model_name": "gpt-test"],
            "steps": steps,
            "final_metrics": ["total_prompt_tokens": 100 * commands.count, "total_completion_tokens": 10 * commands.count, "total_steps": steps.count],
        ]
        if version < "ATIF-v1.7" { root["session_id"] = "session-1" } else { root["trajectory_id"] = "t-1" }
        if version >= "ATIF-v1.5" { root["agent"] = ["name": "terminus-2", "version": "1.0", "model_name": "gpt-test", "tool_definitions": [["type": "function", "function": ["name": "bash"]]]] }
        return root
    }
}
