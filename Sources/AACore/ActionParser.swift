import Foundation

/// Reads actions a model wrote as JSON text: the strict JSON action format (`action_protocol = "json"`)
/// and a tolerant reader of tool calls embedded in prose or code fences.
enum ActionParser {
    /// What a reply asked for.
    struct Parsed: Equatable {
        var calls: [ModelToolCall] = []
        /// The model said it is done.
        var finish = false
        /// Why nothing usable was found, for the model to read.
        var problem: String?
    }

    static let finishAction = "finish"

    /// The JSON schema of one action: `{"thought", "action", "arguments"}`.
    static func actionSchema(tools: [ModelToolSpec]) -> JSONValue {
        .object([
            "type": .string("object"),
            "properties": .object([
                "thought": .object(["type": .string("string")]),
                "action": .object(["type": .string("string"), "enum": .array((tools.map(\.name) + [finishAction]).map { .string($0) })]),
                "arguments": .object(["type": .string("object")]),
            ]),
            "required": .array([.string("action"), .string("arguments")]),
        ])
    }

    /// Instructions for protocols without native tool calls: the tools and the reply format.
    static func instructions(tools: [ModelToolSpec]) -> String {
        var text = "\n\nYou act by replying with exactly one JSON object: "
        text += #"{"thought": "<why>", "action": "<tool name or finish>", "arguments": {<the tool's arguments>}}"#
        text += ". Use the action \"finish\" with empty arguments when the task is done.\nTools:\n"
        for tool in tools { text += "- \(tool.name): \(tool.description) Arguments schema: \(tool.parameters.jsonText)\n" }
        return text
    }

    /// Reads a reply of the JSON action format, falling back to the tolerant reader.
    static func parseAction(_ text: String, toolNames: Set<String>, idPrefix: String) -> Parsed {
        if let value = try? JSONValue.parse(Array(text.utf8)), let parsed = interpret(value, toolNames: toolNames, idPrefix: idPrefix) {
            return parsed
        }
        return parseText(text, toolNames: toolNames, idPrefix: idPrefix)
    }

    /// Finds tool calls written as JSON anywhere in the text.
    static func parseText(_ text: String, toolNames: Set<String>, idPrefix: String) -> Parsed {
        var result = Parsed()
        var sawJSON = false
        for candidate in jsonObjects(in: text) {
            guard let value = parseLenient(candidate) else { continue }
            sawJSON = true
            guard let parsed = interpret(value, toolNames: toolNames, idPrefix: idPrefix + "_\(result.calls.count)") else { continue }
            result.calls += parsed.calls
            result.finish = result.finish || parsed.finish
        }
        if result.calls.isEmpty, !result.finish {
            result.problem = sawJSON
                ? "Your reply has JSON but no action naming one of the tools (\(toolNames.sorted().joined(separator: ", "))) or \"finish\"."
                : "Your reply has no JSON action."
        }
        return result
    }

    /// A call, a list of calls, or a finish, in the shapes models commonly write.
    private static func interpret(_ value: JSONValue, toolNames: Set<String>, idPrefix: String) -> Parsed? {
        if let list = value.arrayValue ?? value["tool_calls"]?.arrayValue {
            var parsed = Parsed()
            for (i, item) in list.enumerated() {
                guard let one = interpret(item, toolNames: toolNames, idPrefix: "\(idPrefix)_\(i)") else { continue }
                parsed.calls += one.calls
                parsed.finish = parsed.finish || one.finish
            }
            return parsed.calls.isEmpty && !parsed.finish ? nil : parsed
        }
        guard case .object(let object) = value else { return nil }
        if let function = object["function"], function.objectValue != nil {
            return interpret(function, toolNames: toolNames, idPrefix: idPrefix)
        }
        let name = ["action", "tool", "name", "tool_name", "function"].lazy.compactMap { object[$0]?.stringValue }.first
        guard let name else { return nil }
        if name == finishAction { return Parsed(finish: true) }
        guard toolNames.contains(name) else { return nil }
        let arguments = ["arguments", "args", "parameters", "input", "action_input"].lazy.compactMap { object[$0] }.first
        let text: String
        switch arguments {
        case .string(let s)?: text = s
        case let other?: text = other.jsonText
        case nil: text = "{}"
        }
        return Parsed(calls: [ModelToolCall(id: idPrefix, name: name, arguments: text)])
    }

    /// Substrings that are balanced `{…}` (or `[…]` at the top level), respecting JSON strings.
    static func jsonObjects(in text: String) -> [String] {
        let chars = Array(text.utf8)
        var out: [String] = []
        var i = 0
        while i < chars.count {
            guard chars[i] == UInt8(ascii: "{") || chars[i] == UInt8(ascii: "[") else { i += 1; continue }
            var depth = 0
            var inString = false
            var escaped = false
            var j = i
            var end: Int?
            while j < chars.count {
                let c = chars[j]
                if inString {
                    if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
                } else if c == UInt8(ascii: "\"") {
                    inString = true
                } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    depth += 1
                } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { end = j; break }
                }
                j += 1
            }
            guard let end else { break }
            let candidate = String(decoding: chars[i...end], as: UTF8.self)
            if parseLenient(candidate) != nil {
                out.append(candidate)
                i = end + 1
            } else {
                i += 1
            }
        }
        return out
    }

    /// JSON, or JSON with trailing commas removed.
    private static func parseLenient(_ text: String) -> JSONValue? {
        if let value = try? JSONValue.parse(Array(text.utf8)) { return value }
        let repaired = text.replacingOccurrences(of: #",\s*([}\]])"#, with: "$1", options: .regularExpression)
        return try? JSONValue.parse(Array(repaired.utf8))
    }
}
