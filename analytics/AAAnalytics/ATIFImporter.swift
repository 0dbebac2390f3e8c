import Foundation

/// An ATIF trajectory problem: which file and what.
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// Reads ATIF trajectories (Harbor RFC 0001, ATIF-v1.0 … v1.7) into trial steps. Reading is
/// tolerant: fields of any version are used when present, unknown fields are ignored.
public enum ATIFImporter {
    /// What a trajectory holds besides its steps.
    public struct Trajectory: Sendable {
        public var schemaVersion: String?
        public var agent: String?
        public var model: String?
        public var steps: [TrialRecord.Step]
        public var promptTokens: Int?
        public var completionTokens: Int?
        public var costUSD: Double?
        public var finalMessage: String?
    }

    /// Parses a trajectory file.
    public static func read(path: String) throws(ImportError) -> Trajectory {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError(path: path, message: "cannot read")
        }
        return try parse(data, path: path)
    }

    /// Parses trajectory JSON; `path` names the source in errors.
    public static func parse(_ data: Data, path: String) throws(ImportError) -> Trajectory {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ImportError(path: path, message: "not a JSON object")
            }
            root = object
        } catch let error as ImportError {
            throw error
        } catch {
            throw ImportError(path: path, message: "invalid JSON: \(error.localizedDescription)")
        }
        return try parse(root: root, path: path)
    }

    /// Parses a decoded trajectory; embedded subagent trajectories (v1.7) follow the parent's steps,
    /// numbered on from its last step, and add to its token and cost totals.
    static func parse(root: [String: Any], path: String) throws(ImportError) -> Trajectory {
        if let version = root["schema_version"] as? String, !version.hasPrefix("ATIF-v1.") {
            throw ImportError(path: path, message: "unsupported schema_version \(version) (ATIF-v1.0 … v1.7 are read)")
        }
        guard let steps = root["steps"] as? [[String: Any]] else {
            throw ImportError(path: path, message: "field steps: missing or not a list of objects")
        }
        let agent = root["agent"] as? [String: Any]
        var trajectory = Trajectory(
            schemaVersion: root["schema_version"] as? String,
            agent: agent?["name"] as? String,
            model: agent?["model_name"] as? String,
            steps: []
        )
        var prompt = 0, completion = 0, cost = 0.0, sawTokens = false, sawCost = false
        for (position, step) in steps.enumerated() {
            let index = int(step["step_id"]) ?? position + 1
            let source = step["source"] as? String ?? "agent"
            let metrics = step["metrics"] as? [String: Any]
            let stepTokens = (int(metrics?["prompt_tokens"]) ?? 0) + (int(metrics?["completion_tokens"]) ?? 0)
            if let p = int(metrics?["prompt_tokens"]) { prompt += p; sawTokens = true }
            if let c = int(metrics?["completion_tokens"]) { completion += c; sawTokens = true }
            if let c = double(metrics?["cost_usd"]) { cost += c; sawCost = true }
            trajectory.model = trajectory.model ?? step["model_name"] as? String
            let message = text(step["message"]) ?? ""
            let results = (step["observation"] as? [String: Any])?["results"] as? [[String: Any]] ?? []
            let calls = step["tool_calls"] as? [[String: Any]] ?? []
            if source != "agent" {
                // System and user steps carry no actions; a system observation that reports an error is kept.
                let observed = results.compactMap { text($0["content"]) }.joined(separator: "\n")
                if source == "system", let line = TextExcerpt.errorLine(message + "\n" + observed) {
                    var row = TrialRecord.Step(index: index, kind: .error)
                    row.output = TextExcerpt.bounded(observed.isEmpty ? message : observed, limit: TraceImporter.excerptLimit)
                    row.errorLine = line
                    trajectory.steps.append(row)
                }
                continue
            }
            if !message.isEmpty { trajectory.finalMessage = TextExcerpt.bounded(message, limit: 600) }
            var unmatched = results.filter { $0["source_call_id"] == nil }
            if calls.isEmpty {
                var row = TrialRecord.Step(index: index, kind: .message)
                row.output = TextExcerpt.bounded(message, limit: TraceImporter.excerptLimit)
                row.tokens = metrics == nil ? nil : stepTokens
                if !unmatched.isEmpty { fill(&row, from: unmatched.removeFirst(), runsCommand: false) }
                trajectory.steps.append(row)
                continue
            }
            for (n, call) in calls.enumerated() {
                var row = TrialRecord.Step(index: index, kind: .toolCall)
                row.tool = call["function_name"] as? String
                let arguments = call["arguments"] as? [String: Any] ?? [:]
                let command = ToolArguments.command(from: arguments)
                row.command = TextExcerpt.bounded(command ?? ToolArguments.summary(tool: row.tool, arguments), limit: TraceImporter.excerptLimit)
                if n == 0, metrics != nil { row.tokens = stepTokens }
                let id = call["tool_call_id"] as? String
                if let result = results.first(where: { ($0["source_call_id"] as? String) == id && id != nil }) {
                    fill(&row, from: result, runsCommand: command != nil)
                } else if !unmatched.isEmpty {
                    fill(&row, from: unmatched.removeFirst(), runsCommand: command != nil)
                }
                trajectory.steps.append(row)
            }
        }
        if let final = root["final_metrics"] as? [String: Any] {
            if let p = int(final["total_prompt_tokens"]) { prompt = p; sawTokens = true }
            if let c = int(final["total_completion_tokens"]) { completion = c; sawTokens = true }
            if let c = double(final["total_cost_usd"]) { cost = c; sawCost = true }
        }
        for sub in root["subagent_trajectories"] as? [[String: Any]] ?? [] {
            let child = try parse(root: sub, path: path)
            let offset = trajectory.steps.map(\.index).max() ?? 0
            trajectory.steps += child.steps.map { step in
                var step = step
                step.index += offset
                return step
            }
            if let p = child.promptTokens { prompt += p; sawTokens = true }
            if let c = child.completionTokens { completion += c; sawTokens = true }
            if let c = child.costUSD { cost += c; sawCost = true }
        }
        if sawTokens {
            trajectory.promptTokens = prompt
            trajectory.completionTokens = completion
        }
        if sawCost { trajectory.costUSD = cost }
        return trajectory
    }

    /// Output, size and exit code of an observation result (exit codes only exist in `extra`). The
    /// output of a command is searched for an error line; other tools (file readers, editors, todo
    /// lists) return content, so only an error on their first line counts.
    private static func fill(_ row: inout TrialRecord.Step, from result: [String: Any], runsCommand: Bool) {
        let content = text(result["content"]) ?? ""
        row.output = TextExcerpt.bounded(content, limit: TraceImporter.excerptLimit)
        row.outputBytes = content.utf8.count
        let extra = result["extra"] as? [String: Any] ?? [:]
        row.exitCode = int(extra["exit_code"]) ?? int(extra["return_code"]) ?? int(extra["returncode"]) ?? int(extra["exitCode"])
        if let timedOut = extra["timed_out"] as? Bool { row.timedOut = timedOut }
        guard row.exitCode != 0 else { return }
        let searched = runsCommand || row.exitCode != nil ? content : String(content.prefix { $0 != "\n" && $0 != "\r" })
        row.errorLine = TextExcerpt.errorLine(searched) ?? (row.exitCode != nil ? TextExcerpt.lastLine(content) : nil)
    }

    /// A string, or the text parts of a ContentPart list (v1.6+).
    static func text(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let parts = value as? [[String: Any]] {
            return parts.compactMap { ($0["type"] as? String) == "text" ? $0["text"] as? String : nil }.joined(separator: "\n")
        }
        return nil
    }

    static func int(_ value: Any?) -> Int? {
        if let n = value as? NSNumber { return n.intValue }
        if let s = value as? String { return Int(s) }
        return nil
    }

    static func double(_ value: Any?) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String { return Double(s) }
        return nil
    }
}
