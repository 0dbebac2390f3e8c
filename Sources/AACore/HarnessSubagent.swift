import Foundation

/// A subagent of a harness (`agents/NAME.toml`): a second agent loop the main agent calls as a tool.
/// It gets the `task` the caller writes, its own system prompt, a subset of the harness's tools and its
/// own turn limit, works in the same sandbox, and its final answer is the tool's observation. Its tokens
/// and dollars count against the harness's budget.
public struct HarnessSubagent: Sendable, Equatable {
    public var name: String
    public var description: String
    public var systemPrompt: String
    /// Names of the harness tools it may use.
    public var tools: [String]
    public var turns: Int

    /// The tool the calling agent sees.
    public var spec: ModelToolSpec {
        ModelToolSpec(name: name, description: description, parameters: .object([
            "type": .string("object"), "required": .array([.string("task")]),
            "properties": .object(["task": .object([
                "type": .string("string"),
                "description": .string("What the \(name) subagent should do, with everything it needs to know; it answers when done."),
            ])]),
        ]))
    }

    /// Reads `agents/FILE`; `toolNames` are the harness's tools, `directory` the harness directory.
    static func parse(_ text: String, file: String, directory: String, toolNames: [String]) throws(HarnessError) -> HarnessSubagent {
        let values: [String: JSONValue]
        do { values = try TOMLDocument.parse(text) } catch {
            throw HarnessError(file: file, line: error.line, message: error.message)
        }
        let reader = FieldReader(values, path: "") { field, message in TaskError(task: "harness", file: file, location: field, message: message) }
        do throws(TaskError) {
            try Harness.rejectUnknown(reader, ["name", "description", "system", "system_file", "tools", "turns"])
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            let name = try reader.string("name") ?? stem
            guard name.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression) != nil else {
                throw reader.error("name", "must be 1 to 64 letters, digits, _ or -")
            }
            guard let description = try reader.string("description"), !description.isEmpty else { throw reader.error("description", "is required") }
            let inline = try reader.string("system")
            let systemFile = try reader.string("system_file")
            let system: String
            switch (inline, systemFile) {
            case (let text?, nil): system = text
            case (nil, let relative?):
                guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                    throw reader.error("system_file", "must be a path inside agents/")
                }
                guard let data = FileManager.default.contents(atPath: directory + "/agents/" + relative) else {
                    throw reader.error("system_file", "cannot read agents/\(relative)")
                }
                system = String(decoding: data, as: UTF8.self)
            case (nil, nil): throw reader.error("system", "is required (or system_file)")
            case (.some, .some): throw reader.error("system_file", "give system or system_file, not both")
            }
            let tools = try reader.strings("tools") ?? toolNames
            for (i, tool) in tools.enumerated() where !toolNames.contains(tool) {
                throw reader.error("tools[\(i)]", "names no tool of tools/ (\(toolNames.joined(separator: ", ")))")
            }
            return HarnessSubagent(name: name, description: description,
                                   systemPrompt: system.trimmingCharacters(in: .whitespacesAndNewlines),
                                   tools: tools, turns: try reader.int("turns", min: 1) ?? 10)
        } catch {
            throw HarnessError(file: file, line: TOMLKeyLocator.line(of: error.location, in: text), field: error.location, message: error.message)
        }
    }
}
