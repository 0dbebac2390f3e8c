import Foundation

/// Reads the command out of a tool call's arguments.
public enum ToolArguments {
    /// Argument names that hold a shell command or keystrokes, in order of preference.
    public static let commandKeys = ["command", "cmd", "keystrokes", "script", "code", "input"]

    /// The command in a JSON object of arguments, or a one-line summary of the call when it has none.
    public static func command(fromJSON json: String, tool: String? = nil) -> String {
        switch TraceEventCodec.firstStringField(json, of: commandKeys) {
        case .some(.some(let command)): return command
        case .some(.none): if let fields = TraceEventCodec.stringFields(json) { return summary(tool: tool, fields) }
        case .none: break
        }
        guard let data = json.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return json }
        return command(from: object) ?? summary(tool: tool, object)
    }

    /// A call without a command as one line: the tool, then its arguments as `key=value` in key order.
    public static func summary(tool: String?, _ arguments: [String: Any]) -> String {
        let parts = arguments.keys.sorted().map { key -> String in
            let value = arguments[key]
            if let s = value as? String { return "\(key)=\(s)" }
            if let n = value as? NSNumber { return "\(key)=\(n)" }
            return "\(key)=…"
        }
        return ([tool ?? "call"] + parts).joined(separator: " ")
    }

    /// The command in a decoded arguments object.
    public static func command(from arguments: [String: Any]) -> String? {
        for key in commandKeys {
            if let s = arguments[key] as? String { return s }
            if let list = arguments[key] as? [String] { return list.joined(separator: " ") }
        }
        return nil
    }
}
