import Foundation

/// A tool of a harness (`tools/NAME.toml`): what the model sees (name, description, JSON-schema
/// parameters) and the command that implements it in the sandbox. The command gets each argument
/// in an environment variable `ARG_<name>` (strings as is, other values as JSON) and all of them as
/// JSON in `ARGS_JSON`.
public struct HarnessTool: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: JSONValue
    public var command: String
    /// Overrides `[agent] tool_timeout_sec`.
    public var timeoutSeconds: Double?

    public var spec: ModelToolSpec { ModelToolSpec(name: name, description: description, parameters: parameters) }

    /// Names of the required parameters.
    public var requiredParameters: [String] { parameters["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    static func parse(_ text: String, file: String) throws(HarnessError) -> HarnessTool {
        let values: [String: JSONValue]
        do { values = try TOMLDocument.parse(text) } catch {
            throw HarnessError(file: file, line: error.line, message: error.message)
        }
        let reader = FieldReader(values, path: "") { field, message in TaskError(task: "harness", file: file, location: field, message: message) }
        do throws(TaskError) {
            try Harness.rejectUnknown(reader, ["name", "description", "parameters", "command", "timeout_sec"])
            guard let name = try reader.string("name") else { throw reader.error("name", "is required") }
            guard name.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression) != nil else {
                throw reader.error("name", "must be 1 to 64 letters, digits, _ or -")
            }
            guard let description = try reader.string("description"), !description.isEmpty else { throw reader.error("description", "is required") }
            guard let command = try reader.string("command"), !command.isEmpty else { throw reader.error("command", "is required") }
            let parameters = values["parameters"] ?? .object(["type": .string("object"), "properties": .object([:])])
            guard case .object(let schema) = parameters else { throw reader.error("parameters", "must be a table (a JSON schema)") }
            guard schema["type"]?.stringValue == "object" else { throw reader.error("parameters.type", "must be \"object\"") }
            if let properties = schema["properties"], properties.objectValue == nil {
                throw reader.error("parameters.properties", "must be a table of parameter schemas")
            }
            let declared = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
            for (i, item) in (schema["required"]?.arrayValue ?? []).enumerated() {
                guard let required = item.stringValue, declared.contains(required) else {
                    throw reader.error("parameters.required[\(i)]", "names no parameter of parameters.properties")
                }
            }
            for key in declared where key.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) == nil {
                throw reader.error("parameters.properties.\(key)", "a parameter name must be a valid environment variable suffix")
            }
            return HarnessTool(name: name, description: description, parameters: parameters, command: command,
                               timeoutSeconds: try reader.double("timeout_sec", positive: true))
        } catch {
            throw HarnessError(file: file, line: TOMLKeyLocator.line(of: error.location, in: text), field: error.location, message: error.message)
        }
    }
}
