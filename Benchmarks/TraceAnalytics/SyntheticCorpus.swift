import AAAnalytics
import Foundation

/// A synthetic job folder of our format: trials of `steps` tool calls each, with a mix of failure
/// modes (success, loop, claimed success, error streak, timeout) so every stage does real work.
enum SyntheticCorpus {
    static let commands = [
        "ls -la /app/src/%d", "cat /app/data/file%d.txt", "python3 solve.py --seed %d", "grep -rn foo%d /app",
        "pytest -q tests/test_%d.py", "sed -i s/a%d/b/ /app/main.py", "make -j%d", "pip install pkg%d",
        "git log -n %d", "curl -s http://localhost:%d/health",
    ]
    static let errors = [
        "Traceback (most recent call last):\n  File \"/app/x.py\", line %d\nModuleNotFoundError: No module named 'm%d'",
        "bash: tool%d: command not found", "error: expected ';' at line %d col %d", "cat: /tmp/f%d: No such file or directory",
    ]

    /// The events of one trial; deterministic in `trial`.
    static func events(trial: Int, steps: Int) -> [TraceEvent] {
        var rng = SplitMix(seed: UInt64(trial))
        let task = "task-\(trial % 1000)"
        let mode = trial % 5
        var t = 1_700_000_000.0 + Double(trial)
        var start = TraceEvent(.trialStart, time: t)
        start.task = task
        start.trial = "\(task)__\(trial)"
        start.agent = "autoagent"
        start.model = "model"
        start.attempt = trial / 1000 + 1
        var out = [start]
        for step in 1...steps {
            t += 1
            var response = TraceEvent(.modelResponse, time: t, step: step)
            response.promptTokens = 1000 + step * 50
            response.completionTokens = 80
            response.latencySeconds = 1.2
            response.finishReason = "tool_calls"
            if step == steps { response.text = mode == 2 ? "The task is complete." : "Stopping here." }
            let looping = mode == 1 && step > steps / 2
            let command = looping ? "sleep 5 && cat /app/status" : String(format: commands[rng.next(commands.count)], rng.next(500) + 1)
            var call = TraceEvent(.toolCall, time: t, step: step)
            call.tool = "bash"
            call.arguments = "{\"command\":\"\(command)\"}"
            var observation = TraceEvent(.observation, time: t + 0.5, step: step)
            let fails = mode == 3 ? step % 2 == 0 : rng.next(10) == 0
            observation.exitCode = fails ? 1 : 0
            let text = fails
                ? String(format: errors[(trial + step) % errors.count], step, trial % 97)
                : "ok: processed \(step * 17) records in \(Double(step) / 10) s\nwrote /app/out/result_\(step).json\n" + String(repeating: "data ", count: 20)
            observation.excerpt = text
            observation.stdoutBytes = text.utf8.count
            observation.stderrBytes = 0
            out += [response, call, observation]
        }
        var reward = TraceEvent(.reward, time: t + 1)
        reward.reward = mode == 0 ? 1 : 0
        var end = TraceEvent(.trialEnd, time: t + 2)
        end.durationSeconds = Double(steps) * 3
        end.exception = mode == 4 ? "AgentTimeoutError" : nil
        return out + [reward, end]
    }

    /// Writes `trials` trial folders (trace plus result.json) under folder, unless already there.
    static func write(to folder: String, trials: Int, steps: Int) throws {
        let marker = folder + "/.complete-\(trials)x\(steps)"
        if FileManager.default.fileExists(atPath: marker) { return }
        try? FileManager.default.removeItem(atPath: folder)
        for i in 0..<trials {
            let trial = folder + "/t\(i)"
            try FileManager.default.createDirectory(atPath: trial + "/agent", withIntermediateDirectories: true)
            let writer = try TraceWriter(path: trial + "/agent/trace.aatrace", frameEvents: 64)
            for e in events(trial: i, steps: steps) { try writer.append(e) }
            try writer.flush()
            let result = #"{"task_name": "task-\#(i % 1000)", "trial_name": "t\#(i)", "verifier_result": {"rewards": {"reward": \#(i % 5 == 0 ? 1 : 0)}}}"#
            try result.write(toFile: trial + "/result.json", atomically: false, encoding: .utf8)
        }
        _ = FileManager.default.createFile(atPath: marker, contents: nil)
    }

    /// The same events as one zstd-compressed JSON-lines file: the input of the zstd+json baseline.
    static func writeJSONLines(to path: String, trials: Int, steps: Int) throws -> Int {
        var lines: [UInt8] = []
        for i in 0..<trials {
            for e in events(trial: i, steps: steps) {
                TraceEventCodec.encode(e, into: &lines)
                lines.append(0x0a)
            }
        }
        try Data(try Zstd.compress(lines, level: 3)).write(to: URL(fileURLWithPath: path))
        return lines.count
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9e37_79b9_7f4a_7c15 }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
