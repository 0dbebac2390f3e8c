import AASandbox
import Foundation

/// Runs a harness tool call in the trial's sandbox and turns the result into the observation the
/// model reads. Bad calls (unknown tool, arguments that are not a JSON object, missing parameters)
/// become observations too.
struct ToolExecutor: Sendable {
    struct Result: Sendable {
        var observation: String
        var exitCode: Int?
        var timedOut = false
        var outputBytes = 0
        /// The arguments as parsed (empty when they were not a JSON object).
        var arguments: [String: JSONValue] = [:]
        /// Whether the call could not be run as written.
        var rejected = false
    }

    let harness: Harness
    /// The tools this agent may call (all of the harness's, or a subagent's subset).
    let tools: [HarnessTool]
    let session: AgentSession
    /// Put before saved output files' names, so a subagent's never overwrite its caller's.
    var outputPrefix = ""

    func run(_ call: ModelToolCall, turn: Int, index: Int) async throws -> Result {
        guard let tool = tools.first(where: { $0.name == call.name }) else {
            let names = tools.map(\.name).joined(separator: ", ")
            return Result(observation: "error: there is no tool \"\(call.name)\" (tools: \(names))", rejected: true)
        }
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(Array((call.arguments.isEmpty ? "{}" : call.arguments).utf8)) } catch {
            return Result(observation: "error: the arguments of \(tool.name) are not valid JSON: \(call.arguments.prefix(300))", rejected: true)
        }
        guard case .object(let arguments) = parsed else {
            return Result(observation: "error: the arguments of \(tool.name) must be a JSON object, not \(parsed.typeName)", rejected: true)
        }
        let missing = tool.requiredParameters.filter { arguments[$0] == nil }
        if !missing.isEmpty {
            return Result(observation: "error: \(tool.name) needs the argument(s) \(missing.joined(separator: ", "))",
                          arguments: arguments, rejected: true)
        }
        var environment = ["ARGS_JSON": parsed.jsonText]
        for (key, value) in arguments where key.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil {
            environment["ARG_" + key] = value.stringValue ?? value.jsonText
        }
        let timeout = tool.timeoutSeconds ?? harness.agent.toolTimeoutSeconds
        let exec = try await session.exec(tool.command, environment: environment, timeoutSeconds: timeout)
        var output = String(decoding: exec.stdout, as: UTF8.self)
        if !exec.stderr.isEmpty {
            if !output.isEmpty, !output.hasSuffix("\n") { output += "\n" }
            output += String(decoding: exec.stderr, as: UTF8.self)
        }
        var result = Result(observation: "", exitCode: Int(exec.shellStatus), timedOut: exec.timedOut,
                            outputBytes: exec.stdoutBytes + exec.stderrBytes, arguments: arguments)
        var header = "exit code: \(exec.shellStatus)"
        if exec.timedOut { header += " (timed out after \(Int(timeout)) s)" }
        if exec.stdoutTruncated || exec.stderrTruncated { header += " (the sandbox kept only the first part of the output)" }
        let limit = harness.agent.maxOutputBytes
        if output.utf8.count > limit {
            let path = "\(harness.agent.outputsPath)/\(outputPrefix)turn-\(turn)-call-\(index).txt"
            let saved = try await session.exec("mkdir -p \(shellQuote(harness.agent.outputsPath)) && cat > \(shellQuote(path))", stdin: Array(output.utf8))
            let head = String(decoding: output.utf8.prefix(limit * 6 / 10), as: UTF8.self)
            let tail = String(decoding: output.utf8.suffix(limit * 4 / 10), as: UTF8.self)
            let cut = output.utf8.count - head.utf8.count - tail.utf8.count
            let note = saved.shellStatus == 0
                ? "[… \(cut) bytes cut; the full output (\(output.utf8.count) bytes) is in \(path) …]"
                : "[… \(cut) bytes cut; the full output could not be saved …]"
            output = head + "\n" + note + "\n" + tail
        }
        result.observation = header + "\n" + output
        return result
    }
}

/// `text` as one single-quoted shell word.
func shellQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
