import Foundation

/// Harbor's `${VAR}` / `${VAR:-default}` templating of task env tables, resolved from the host environment.
public enum EnvTemplate {
    public static func expand(_ env: [String: String], field: String, task: String,
                              host: [String: String] = ProcessInfo.processInfo.environment) throws(TaskError) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in env {
            do {
                out[key] = try expand(value, host: host)
            } catch {
                throw TaskError(task: task, file: "task.toml", location: "\(field).\(key)", message: error.message)
            }
        }
        return out
    }

    struct Unset: Error { var message: String }

    static func expand(_ value: String, host: [String: String]) throws(Unset) -> String {
        var out = ""
        var rest = Substring(value)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else {
                throw Unset(message: "unterminated ${ in \"\(value)\"")
            }
            let body = String(rest[start.upperBound..<close])
            if let r = body.range(of: ":-") {
                let name = String(body[..<r.lowerBound])
                out += host[name].flatMap { $0.isEmpty ? nil : $0 } ?? String(body[r.upperBound...])
            } else {
                guard let v = host[body] else { throw Unset(message: "${\(body)} is not set in the environment of aa") }
                out += v
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
