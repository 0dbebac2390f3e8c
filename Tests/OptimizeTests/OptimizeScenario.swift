import Foundation
import Synchronization
import TestSupport

/// A small generated domain for end-to-end optimize tests: "write the word to /app/answer.txt".
/// The scripted task model, like a careless real one, truncates words longer than five letters
/// when it writes them with bash, and follows a system prompt that asks for upper case. A harness
/// tool `answer` that writes its argument exactly makes every task pass — for real, through the
/// sandbox and the verifier. So: baseline 50 % (short words pass), the `answer` tool 100 %, the
/// upper-case prompt 0 %; a system prompt beyond its context window makes every request fail.
final class OptimizeScenario {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let words: [(task: String, word: String)] = [
        ("echo-amber", "amber"), ("echo-birch", "birch"), ("echo-cedar", "cedar"), ("echo-dunes", "dunes"),
        ("echo-embers", "embersong"), ("echo-fjords", "fjordland"), ("echo-groves", "grovewood"), ("echo-herons", "heronpond"),
    ]

    static let answerTool = """
        name = "answer"
        description = "Write the final answer (exactly this text and a newline) to /app/answer.txt."
        command = 'printf "%s\\n" "$ARG_text" > /app/answer.txt'

        [parameters]
        type = "object"
        required = ["text"]

        [parameters.properties.text]
        type = "string"
        """

    let path = "/var/tmp/aa-optimize-tests-\(UUID().uuidString)"
    var suite: String { path + "/tasks" }
    var panels: String { path + "/panels.toml" }
    var runDirectory: String { path + "/run" }
    /// A layer cache of the scenario's own, so other runs on the machine cannot disturb its trials.
    var cacheDirectory: String { path + "/cache" }
    let taskServer: ScriptedModelServer
    let metaServer: ScriptedModelServer
    let meta: MetaScript

    /// `taskDelay`: seconds the task model takes per reply.
    init(proposals: [[(String, String)]], taskDelay: Double = 0) throws {
        taskServer = try ScriptedModelServer(responder: { request in
            var reply = Self.taskModel(request)
            reply.delay = taskDelay
            return reply
        })
        let script = MetaScript(proposals: proposals)
        meta = script
        metaServer = try ScriptedModelServer(responder: { script.reply($0) })
        for (task, word) in Self.words {
            let dir = suite + "/" + task
            try FileManager.default.createDirectory(atPath: dir + "/environment", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir + "/tests", withIntermediateDirectories: true)
            try write(dir + "/task.toml", """
                schema_version = "1.3"

                [task]
                name = "\(task)"

                [agent]
                timeout_sec = 60

                [verifier]
                timeout_sec = 30

                [environment]
                network_mode = "no-network"
                cpus = 1
                memory_mb = 256
                """)
            try write(dir + "/environment/Dockerfile", "FROM debian:bookworm-slim\nWORKDIR /app\n")
            try write(dir + "/instruction.md", "Write the word `\(word)` and a newline to /app/answer.txt.\n")
            try write(dir + "/tests/test.sh", """
                #!/bin/bash
                if [ "$(cat /app/answer.txt 2>/dev/null)" = "\(word)" ]; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi
                """)
        }
        try write(panels, """
            search = ["echo-amber", "echo-birch", "echo-embers", "echo-fjords"]
            validation = ["echo-cedar", "echo-groves"]
            test = ["echo-dunes", "echo-herons"]
            """)
    }

    deinit {
        taskServer.stop()
        metaServer.stop()
        try? FileManager.default.removeItem(atPath: path)
    }

    private func write(_ path: String, _ text: String) throws {
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }

    /// `aa optimize` on the scenario with both scripted models.
    func optimizeArguments(maxExperiments: Int) -> [String] {
        ["optimize", "-p", suite, "--harness", Self.root + "/examples/harness", "--run-dir", runDirectory, "--panels", panels,
         "--program", Self.root + "/program.md", "-k", "2", "-n", "4", "--max-experiments", String(maxExperiments),
         "-m", "scripted-task", "--ak", "base_url=\(taskServer.baseURL)", "--meta-model", "scripted-meta",
         "--mk", "base_url=\(metaServer.baseURL)", "--cache-dir", cacheDirectory, "-q"]
    }

    /// Bytes of system prompt beyond which the task model refuses the request, as a small context window would.
    static let contextLimit = 4_000

    /// The task model: the answer tool when the harness has one, else bash with its habits.
    static func taskModel(_ request: ScriptedModelServer.Received) -> ScriptedModelServer.Reply {
        let body = request.json ?? [:]
        let messages = body["messages"] as? [[String: Any]] ?? []
        if messages.last?["role"] as? String == "tool" { return ScriptedReplies.openAIText("Done.") }
        let system = messages.first { $0["role"] as? String == "system" }?["content"] as? String ?? ""
        if system.utf8.count > contextLimit {
            return .json(#"{"error": {"message": "the prompt exceeds the context window"}}"#, status: 400)
        }
        let instruction = messages.first { $0["role"] as? String == "user" }?["content"] as? String ?? ""
        let word = instruction.split(separator: "`").dropFirst().first.map(String.init) ?? ""
        let tools = (body["tools"] as? [[String: Any]] ?? []).compactMap { ($0["function"] as? [String: Any])?["name"] as? String }
        if tools.contains("answer") { return ScriptedReplies.openAIToolCall("answer", arguments: #"{"text": "\#(word)"}"#) }
        var written = String(word.prefix(5))
        if system.contains("UPPER CASE") { written = written.uppercased() }
        return ScriptedReplies.openAIToolCall("bash", arguments: #"{"command": "echo \#(written) > /app/answer.txt"}"#)
    }
}

/// The meta model: proposal n makes the tool calls of `proposals[n]` one per turn, then submits.
final class MetaScript: Sendable {
    private let proposals: [[(String, String)]]
    private let state = Mutex((conversations: 0, requests: 0))

    init(proposals: [[(String, String)]]) {
        self.proposals = proposals
    }

    /// Proposal conversations started (one per proposal the loop asked for).
    var conversations: Int { state.withLock { $0.conversations } }

    func reply(_ request: ScriptedModelServer.Received) -> ScriptedModelServer.Reply {
        let messages = request.json?["messages"] as? [[String: Any]] ?? []
        let turn = messages.filter { $0["role"] as? String == "assistant" }.count
        let index = state.withLock { s -> Int in
            s.requests += 1
            if turn == 0 { s.conversations += 1 }
            return s.conversations - 1
        }
        let calls = proposals[min(index, proposals.count - 1)]
        let (name, arguments) = calls[min(turn, calls.count - 1)]
        return ScriptedReplies.openAIToolCall(name, arguments: arguments, id: "meta_\(index)_\(turn)")
    }
}
