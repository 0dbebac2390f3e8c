import AAAnalytics
import Foundation
import Logging
import Testing

/// Pins what the miner and the analysis produce on fixed, generated corpora, so that speed work
/// cannot change templates, tables or reports unnoticed. The expected files are in
/// Tests/Fixtures/analytics; `AA_RECORD_PINNED=1 swift test --filter PinnedOutputTests` rewrites
/// them after an intended change (review the diff).
@Suite struct PinnedOutputTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/analytics").path

    /// Compares text with a fixture file (or records it when asked to).
    func expectPinned(_ text: String, _ name: String) throws {
        let path = Self.fixtures + "/" + name
        if ProcessInfo.processInfo.environment["AA_RECORD_PINNED"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.fixtures, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let pinned = try String(contentsOfFile: path, encoding: .utf8)
        guard text != pinned else { return }
        let got = text.split(separator: "\n", omittingEmptySubsequences: false)
        let want = pinned.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
        Issue.record("\(name) differs from line \(line + 1): got \(line < got.count ? String(got[line]) : "<end>"), pinned \(line < want.count ? String(want[line]) : "<end>")")
    }

    @Test func templatesOfAGeneratedLogStayTheSame() throws {
        let lines = PinnedCorpus.logLines(count: 3_000)
        var miner = TemplateMiner()
        let ids = lines.map { miner.add($0) }
        var out = "line,template_id,template\n"
        for (i, id) in ids.enumerated() { out += "\(i + 1),\(id),\(CSV.field(miner.template(id)))\n" }
        #expect(miner.count > 100)
        try expectPinned(out, "templates.csv")
    }

    @Test func tablesAndReportsOfAGeneratedJobStayTheSame() throws {
        let root = Fixtures.folder("pinned")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let job = root + "/pinned-job"
        try PinnedCorpus.writeJob(to: job, trials: 120)
        let corpus = try CorpusLoader.load(paths: [job], logger: Logger(label: "test"))
        #expect(corpus.tables.trials.count == 120)

        let export = root + "/export"
        try TableExport.write(corpus.tables, format: .csv, to: export)
        try expectPinned(String(contentsOfFile: export + "/trials.csv", encoding: .utf8), "trials.csv")
        try expectPinned(String(contentsOfFile: export + "/steps.csv", encoding: .utf8), "steps.csv")

        let analysis = FailureAnalysis.analyze(corpus.tables, problems: corpus.problems)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try encoder.encode(analysis), as: UTF8.self).replacingOccurrences(of: root, with: "<root>")
        try expectPinned(json + "\n", "analysis.json")
        try expectPinned(MarkdownReport.render(analysis).replacingOccurrences(of: root, with: "<root>"), "report.md")
    }
}

/// Deterministic corpora for the pinned outputs: log lines of many shapes, and a job folder of our
/// traces whose trials show every failure mode the detectors know.
enum PinnedCorpus {
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        mutating func pick<T>(_ values: [T]) -> T { values[next(values.count)] }
        mutating func word() -> String { (0..<(2 + next(2))).map { _ in pick(PinnedCorpus.syllables) }.joined() }
        mutating func ip() -> String { "\(10 + next(200)).\(next(256)).\(next(256)).\(next(256))" }
        mutating func hex(_ n: Int) -> String { String((0..<n).map { _ in pick(Array("0123456789abcdef")) }) }
    }

    static let users = ["root", "alice", "bob", "guest", "www-data", "postgres", "admin", "test"]
    static let syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sa", "do", "fu"]

    /// Log lines mixing numbers, hex, IPs, paths, times, varying words and unicode, with more than
    /// a hundred distinct leading words of one length (so routing nodes fill up).
    static func logLines(count: Int) -> [String] {
        var r = Random(state: 7)
        let shapes: [(inout Random) -> String] = [
            { r in "Accepted password for \(r.pick(users)) from \(r.ip()) port \(1024 + r.next(60000)) ssh2" },
            { r in "Failed password for invalid user \(r.word()) from \(r.ip()) port \(r.next(65536)) ssh2" },
            { r in "sshd[\(r.next(30000))]: pam_unix(sshd:session): session opened for user \(r.pick(users)) by (uid=\(r.next(3)))" },
            { r in "Received block blk_\(r.next(2) == 0 ? "-" : "")\(r.next(1 << 40)) of size \(r.next(1 << 26)) from /\(r.ip())" },
            { r in "PacketResponder \(r.next(3)) for block blk_\(r.next(1 << 40)) terminating" },
            { r in "cat \(r.pick(["/tmp/tmp.", "./build/", "~/work/", "src/"]))\(r.hex(6))/\(r.word()).txt" },
            { r in "python3 \(r.word()).py --seed \(r.next(1000)) --out /app/out/\(r.word())_\(r.next(50)).json" },
            { r in "git checkout \(r.hex(7 + r.next(33)))" },
            { r in "commit \(r.hex(40)) by \(r.pick(users)) at \(r.next(24)):\(r.next(60)):\(r.next(60))" },
            { r in "\(r.word()) \(r.pick(["started", "stopped", "failed", "restarted"])) after \(r.next(100)) ms" },
            { r in "kernel: [\(r.next(99999)).\(r.next(999999))] usb \(r.next(4))-\(r.next(4)): new high-speed USB device number \(r.next(20))" },
            { r in "error: could not open '\(r.pick(["/etc/", "/var/lib/", "./"]))\(r.word())': \(r.pick(["Permission denied", "No such file or directory"]))" },
            { r in "ARPT: \(r.next(999999)).\(r.next(999999)): wl0: MDNS: \(r.pick(["IPV4", "IPV6"])) Addr: \(r.ip())" },
            { r in "\(r.word())[\(r.next(9999))] \(r.pick(["<Notice>", "<Error>", "<Warning>"])): \(r.word()) \(r.word()) 0x\(r.hex(8))" },
            { r in "ls -la \(r.pick(["/app", "/srv", "/home/\(r.pick(users))"]))" },
            { r in "curl -s http://localhost:\(8000 + r.next(100))/\(r.word())?id=\(r.next(500))" },
            { r in "Température élevée: \(r.next(90))°C sur le nœud \(r.word())\t(\(r.pick(["ok", "alerte"])))" },
            { r in "\(r.word())" },
            { r in "\(r.pick(users)) \(r.word()) \(r.word()) \(r.word()) \(r.next(3))" },
            { r in "-\(r.next(50)) +\(r.next(50)) \(r.hex(4))-\(r.hex(4)) v\(r.next(9)).\(r.next(9)).\(r.next(9))" },
        ]
        return (0..<count).map { _ in shapes[r.next(shapes.count)](&r) }
    }

    /// Writes a job folder of our trial folders (trace and result.json, some with verifier output).
    static func writeJob(to job: String, trials: Int) throws {
        for i in 0..<trials {
            let name = String(format: "task-%02d__%04d", i % 24, i)
            let folder = job + "/" + name
            try FileManager.default.createDirectory(atPath: folder + "/agent", withIntermediateDirectories: true)
            let writer = try TraceWriter(path: folder + "/agent/trace.aatrace", frameEvents: 16)
            let (events, reward) = trial(i, name: name)
            for e in events { try writer.append(e) }
            try writer.close()
            var result = #"{"task_name": "task-\#(String(format: "%02d", i % 24))", "trial_name": "\#(name)""#
            if let reward { result += #", "verifier_result": {"rewards": {"reward": \#(reward)}}"# }
            try (result + "}").write(toFile: folder + "/result.json", atomically: false, encoding: .utf8)
            if i % 11 == 3 {
                try FileManager.default.createDirectory(atPath: folder + "/verifier", withIntermediateDirectories: true)
                let verifier = i % 2 == 0
                    ? "tests/test_out.py::test_file FAILED\nFileNotFoundError: [Errno 2] No such file or directory: '/app/out_\(i).json'\n1 failed"
                    : "tests/test_x.py::test_value FAILED\nAssertionError: expected \(i) got \(i + 1)\n1 failed, 2 passed"
                try verifier.write(toFile: folder + "/verifier/test-stdout.txt", atomically: false, encoding: .utf8)
            }
        }
    }

    /// The events of trial i and its reward; the mode (i % 12) picks its failure.
    static func trial(_ i: Int, name: String) -> ([TraceEvent], Double?) {
        var r = Random(state: UInt64(i) &* 31 &+ 5)
        let mode = i % 12
        let steps = 6 + r.next(14)
        var t = 1_700_000_000.0 + Double(i) * 100
        func next() -> Double { t += 1.25; return t }
        var start = TraceEvent(.trialStart, time: next())
        start.task = String(format: "task-%02d", i % 24)
        start.trial = name
        start.agent = "autoagent"
        start.model = "model-\(i % 2)"
        start.attempt = mode == 7 ? nil : i / 24 + 1
        var events = [start]
        let good = ["ls -la /app", "cat /app/README.md", "python3 -m pytest -q tests", "sed -i 's/x/y/' /app/main.py",
                    "make -j\(1 + r.next(8))", "git diff --stat", "grep -rn TODO /app/src", "pip install -r requirements.txt"]
        let errors = ["Traceback (most recent call last):\n  File \"/app/main.py\", line \(r.next(300)), in <module>\nKeyError: 'k\(r.next(9))'",
                      "bash: \(r.pick(["jq", "rg", "fd"])): command not found",
                      "error: expected ';' before '}' token at line \(r.next(200))",
                      "cat: /tmp/f\(r.next(99)): No such file or directory",
                      "fatal: not a git repository (or any of the parent directories): .git"]
        for step in 1...steps {
            var response = TraceEvent(.modelResponse, time: next(), step: step)
            response.promptTokens = 900 + step * 40 + r.next(50)
            response.completionTokens = 40 + r.next(80)
            response.latencySeconds = Double(5 + r.next(40)) / 10
            response.costUSD = mode == 5 ? nil : 0.0005 * Double(step)
            response.finishReason = mode == 9 && step == steps ? "length" : "tool_calls"
            if step == steps {
                response.text = [2: "The task is complete.", 6: "I am unable to finish this; giving up.", 10: "All done, it should now work."][mode] ?? "Stopping."
            }
            var command: String
            var exit = 0
            var output = "ok \(step)\n" + String(repeating: "line of output \(r.next(1000))\n", count: 1 + r.next(4))
            switch mode {
            case 1 where step > steps / 2: command = "sleep 5 && cat /app/status"
            case 3 where step > 2:
                command = step % 2 == 0 ? "python3 run.py" : "vim /app/run.py"
            case 4 where step > 1:
                command = "python3 step\(step).py"; exit = 1; output = errors[(i + step) % errors.count]
            case 8 where step > 2:
                command = r.pick(["jq .a data.json", "rg pattern"]); exit = 127; output = errors[1]
            default:
                command = good[r.next(good.count)]
                if r.next(7) == 0 { exit = 1 + r.next(2); output = errors[r.next(errors.count)] }
            }
            var call = TraceEvent(.toolCall, time: next(), step: step)
            call.tool = mode == 11 && step == 3 ? "web_search" : "bash"
            call.arguments = String(decoding: try! JSONSerialization.data(withJSONObject: ["command": command], options: [.sortedKeys]), as: UTF8.self)
            var observation = TraceEvent(.observation, time: next(), step: step)
            observation.exitCode = exit
            observation.stdoutBytes = output.utf8.count
            observation.stderrBytes = exit == 0 ? 0 : 17
            observation.excerpt = output
            observation.timedOut = mode == 7 && step == steps ? true : nil
            events += [response, call, observation]
            if mode == 11 && step == 3 {
                var error = TraceEvent(.error, time: next(), step: step)
                error.tool = "web_search"
                error.category = "unknown_tool"
                error.message = "unknown tool: web_search"
                events.append(error)
            }
            if mode == 0 && step == 2 && i % 48 == 24 {
                var error = TraceEvent(.error, time: next(), step: step)
                error.category = "network"
                error.message = "Could not resolve host: pypi.org"
                events.append(error)
            }
        }
        if mode == 5 {
            var budget = TraceEvent(.budget, time: next())
            budget.category = "turns"
            budget.limit = Double(steps)
            budget.used = Double(steps)
            events.append(budget)
        }
        let reward: Double? = mode == 0 || (mode == 2 && i % 3 == 0) ? 1 : mode == 10 ? 0.5 : mode == 7 ? nil : 0
        if let reward {
            var event = TraceEvent(.reward, time: next())
            event.reward = reward
            events.append(event)
        }
        var end = TraceEvent(.trialEnd, time: next())
        end.durationSeconds = t - 1_700_000_000.0 - Double(i) * 100
        end.exception = [7: "AgentTimeoutError", 9: "ContextLengthExceededError"][mode]
        end.message = end.exception.map { "\($0): raised at step \(steps)" }
        events.append(end)
        return (events, reward)
    }
}
