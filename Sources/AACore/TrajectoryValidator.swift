import Foundation

/// Checks an ATIF document against Harbor's rules (v1.0 … v1.7): known keys only at every level,
/// required fields and their types, step ids 1…n in order, agent-only fields only on agent steps,
/// observation results that point at a tool call of their own step, subagent references and ids.
public enum TrajectoryValidator {
    /// Every rule the document breaks, as "path: problem"; empty when it is valid.
    public static func problems(in document: JSONValue) -> [String] {
        var problems: [String] = []
        trajectory(document, path: "", embedded: false, into: &problems)
        return problems
    }

    /// The problems of a trajectory as this program writes it.
    public static func problems(in trajectory: Trajectory) -> [String] {
        let encoder = JSONEncoder()
        guard let data = try? encoder.encode(trajectory), let document = try? JSONValue.parse(Array(data)) else {
            return ["the trajectory cannot be encoded as JSON"]
        }
        return problems(in: document)
    }

    static let versions = (0...7).map { "ATIF-v1.\($0)" }

    private static func trajectory(_ value: JSONValue, path: String, embedded: Bool, into problems: inout [String]) {
        let at = { (field: String) in path.isEmpty ? field : "\(path).\(field)" }
        guard case .object(let root) = value else { return problems.append("\(path.isEmpty ? "root" : path): must be an object") }
        keys(root, ["schema_version", "session_id", "trajectory_id", "agent", "steps", "notes", "final_metrics",
                    "continued_trajectory_ref", "extra", "subagent_trajectories"], path: path, into: &problems)
        let version = root["schema_version"]?.stringValue ?? "ATIF-v1.7"
        if let declared = root["schema_version"], !versions.contains(declared.stringValue ?? "") {
            problems.append("\(at("schema_version")): must be one of ATIF-v1.0 … ATIF-v1.7")
        }
        if root["session_id"] == nil, versions.firstIndex(of: version).map({ $0 < 7 }) == true {
            problems.append("\(at("session_id")): required before ATIF-v1.7")
        }
        string(root, "session_id", path: path, required: false, into: &problems)
        string(root, "trajectory_id", path: path, required: embedded, into: &problems)
        string(root, "notes", path: path, required: false, into: &problems)
        string(root, "continued_trajectory_ref", path: path, required: false, into: &problems)
        if case .object(let agent)? = root["agent"] {
            keys(agent, ["name", "version", "model_name", "tool_definitions", "extra"], path: at("agent"), into: &problems)
            string(agent, "name", path: at("agent"), required: true, into: &problems)
            string(agent, "version", path: at("agent"), required: true, into: &problems)
            string(agent, "model_name", path: at("agent"), required: false, into: &problems)
            if let tools = agent["tool_definitions"], tools.arrayValue?.allSatisfy({ $0.objectValue != nil }) != true {
                problems.append("\(at("agent.tool_definitions")): must be a list of objects")
            }
        } else {
            problems.append("\(at("agent")): required object")
        }
        if case .array(let steps)? = root["steps"], !steps.isEmpty {
            for (index, step) in steps.enumerated() { self.step(step, index: index, path: at("steps[\(index)]"), into: &problems) }
        } else {
            problems.append("\(at("steps")): required, a non-empty list")
        }
        if let metrics = root["final_metrics"] {
            if case .object(let m) = metrics {
                keys(m, ["total_prompt_tokens", "total_completion_tokens", "total_cached_tokens", "total_cost_usd", "total_steps", "extra"],
                     path: at("final_metrics"), into: &problems)
                for field in ["total_prompt_tokens", "total_completion_tokens", "total_cached_tokens", "total_steps"] {
                    count(m, field, path: at("final_metrics"), into: &problems)
                }
                number(m, "total_cost_usd", path: at("final_metrics"), into: &problems)
            } else {
                problems.append("\(at("final_metrics")): must be an object")
            }
        }
        if let subagents = root["subagent_trajectories"] {
            guard case .array(let list) = subagents else { return problems.append("\(at("subagent_trajectories")): must be a list") }
            var seen: Set<String> = []
            for (index, sub) in list.enumerated() {
                let subPath = at("subagent_trajectories[\(index)]")
                trajectory(sub, path: subPath, embedded: true, into: &problems)
                if let id = sub["trajectory_id"]?.stringValue, !seen.insert(id).inserted {
                    problems.append("\(subPath).trajectory_id: \"\(id)\" is not unique")
                }
            }
        }
    }

    private static func step(_ value: JSONValue, index: Int, path: String, into problems: inout [String]) {
        guard case .object(let step) = value else { return problems.append("\(path): must be an object") }
        keys(step, ["step_id", "timestamp", "source", "model_name", "reasoning_effort", "message", "reasoning_content", "tool_calls",
                    "observation", "metrics", "is_copied_context", "llm_call_count", "extra"], path: path, into: &problems)
        if case .int(let id)? = step["step_id"] {
            if id != index + 1 { problems.append("\(path).step_id: is \(id), must be \(index + 1) (ids run 1, 2, 3, … in order)") }
        } else {
            problems.append("\(path).step_id: required integer")
        }
        if let timestamp = step["timestamp"], !isDateTime(timestamp.stringValue) {
            problems.append("\(path).timestamp: must be an ISO-8601 date-time")
        }
        let source = step["source"]?.stringValue
        if !["system", "user", "agent"].contains(source ?? "") {
            problems.append("\(path).source: must be \"system\", \"user\" or \"agent\"")
        }
        if source != "agent" {
            for field in ["model_name", "reasoning_effort", "reasoning_content", "tool_calls", "metrics", "llm_call_count"] where step[field] != nil {
                problems.append("\(path).\(field): only agent steps may have it")
            }
        }
        content(step["message"], path: path + ".message", required: true, into: &problems)
        if let calls = step["llm_call_count"] {
            guard case .int(let n) = calls, n >= 0 else { return problems.append("\(path).llm_call_count: must be an integer ≥ 0") }
            if n == 0, step["metrics"] != nil || step["reasoning_content"] != nil {
                problems.append("\(path): an agent step with llm_call_count 0 may not have metrics or reasoning_content")
            }
        }
        var callIDs: Set<String> = []
        if let calls = step["tool_calls"] {
            guard case .array(let list) = calls else { return problems.append("\(path).tool_calls: must be a list") }
            for (i, call) in list.enumerated() {
                let callPath = "\(path).tool_calls[\(i)]"
                guard case .object(let c) = call else { problems.append("\(callPath): must be an object"); continue }
                keys(c, ["tool_call_id", "function_name", "arguments", "extra"], path: callPath, into: &problems)
                string(c, "tool_call_id", path: callPath, required: true, into: &problems)
                string(c, "function_name", path: callPath, required: true, into: &problems)
                if c["arguments"]?.objectValue == nil { problems.append("\(callPath).arguments: required object") }
                if let id = c["tool_call_id"]?.stringValue { callIDs.insert(id) }
            }
        }
        if let observation = step["observation"] {
            guard case .object(let o) = observation, case .array(let results)? = o["results"] else {
                return problems.append("\(path).observation: must be an object with a list `results`")
            }
            keys(o, ["results"], path: path + ".observation", into: &problems)
            for (i, result) in results.enumerated() {
                let resultPath = "\(path).observation.results[\(i)]"
                guard case .object(let r) = result else { problems.append("\(resultPath): must be an object"); continue }
                keys(r, ["source_call_id", "content", "subagent_trajectory_ref", "extra"], path: resultPath, into: &problems)
                if let source = r["source_call_id"] {
                    if let id = source.stringValue {
                        if !callIDs.contains(id) { problems.append("\(resultPath).source_call_id: \"\(id)\" is no tool_call_id of this step") }
                    } else {
                        problems.append("\(resultPath).source_call_id: must be a string")
                    }
                }
                content(r["content"], path: resultPath + ".content", required: false, into: &problems)
                if let refs = r["subagent_trajectory_ref"] {
                    guard case .array(let list) = refs else { problems.append("\(resultPath).subagent_trajectory_ref: must be a list"); continue }
                    for (j, ref) in list.enumerated() {
                        let refPath = "\(resultPath).subagent_trajectory_ref[\(j)]"
                        guard case .object(let e) = ref else { problems.append("\(refPath): must be an object"); continue }
                        keys(e, ["trajectory_id", "session_id", "trajectory_path", "extra"], path: refPath, into: &problems)
                        if e["trajectory_id"]?.stringValue == nil, e["trajectory_path"]?.stringValue == nil {
                            problems.append("\(refPath): needs trajectory_id or trajectory_path")
                        }
                    }
                }
            }
        }
        if let metrics = step["metrics"] {
            guard case .object(let m) = metrics else { return problems.append("\(path).metrics: must be an object") }
            keys(m, ["prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd", "prompt_token_ids", "completion_token_ids",
                     "logprobs", "extra"], path: path + ".metrics", into: &problems)
            for field in ["prompt_tokens", "completion_tokens", "cached_tokens"] { count(m, field, path: path + ".metrics", into: &problems) }
            number(m, "cost_usd", path: path + ".metrics", into: &problems)
        }
    }

    /// A message or content: a string or a list of text/image parts.
    private static func content(_ value: JSONValue?, path: String, required: Bool, into problems: inout [String]) {
        guard let value else {
            if required { problems.append("\(path): required") }
            return
        }
        switch value {
        case .string: return
        case .array(let parts):
            for (i, part) in parts.enumerated() {
                let partPath = "\(path)[\(i)]"
                guard case .object(let p) = part else { problems.append("\(partPath): must be an object"); continue }
                keys(p, ["type", "text", "source"], path: partPath, into: &problems)
                switch p["type"]?.stringValue {
                case "text": if p["text"]?.stringValue == nil { problems.append("\(partPath).text: required for a text part") }
                case "image": if p["source"]?.objectValue == nil { problems.append("\(partPath).source: required for an image part") }
                default: problems.append("\(partPath).type: must be \"text\" or \"image\"")
                }
            }
        default: problems.append("\(path): must be a string or a list of content parts")
        }
    }

    private static func isDateTime(_ text: String?) -> Bool {
        guard let text else { return false }
        return (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) != nil
            || (try? Date.ISO8601FormatStyle().parse(text)) != nil
    }

    private static func keys(_ object: [String: JSONValue], _ allowed: Set<String>, path: String, into problems: inout [String]) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            problems.append("\(path.isEmpty ? key : path + "." + key): unknown field")
        }
    }

    private static func string(_ object: [String: JSONValue], _ field: String, path: String, required: Bool, into problems: inout [String]) {
        let fieldPath = path.isEmpty ? field : path + "." + field
        guard let value = object[field] else {
            if required { problems.append("\(fieldPath): required string") }
            return
        }
        if value.stringValue == nil { problems.append("\(fieldPath): must be a string") }
    }

    private static func count(_ object: [String: JSONValue], _ field: String, path: String, into problems: inout [String]) {
        guard let value = object[field] else { return }
        guard case .int(let n) = value, n >= 0 else { return problems.append("\(path).\(field): must be an integer ≥ 0") }
    }

    private static func number(_ object: [String: JSONValue], _ field: String, path: String, into problems: inout [String]) {
        guard let value = object[field] else { return }
        if value.number == nil { problems.append("\(path).\(field): must be a number") }
    }
}
