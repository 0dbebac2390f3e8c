import TOMLKit

/// Parses TOML text into a `JSONValue` tree (dates and times become their TOML text), so the
/// typed readers can walk it with field paths.
enum TOMLDocument {
    struct ParseError: Error {
        var line: Int
        var column: Int
        var message: String
    }

    static func parse(_ text: String) throws(ParseError) -> [String: JSONValue] {
        do {
            let table = try TOMLTable(string: text)
            return convert(table)
        } catch let error as TOMLParseError {
            throw ParseError(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch {
            throw ParseError(line: 0, column: 0, message: "\(error)")
        }
    }

    private static func convert(_ table: TOMLTable) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (key, value) in table { out[key] = convert(value) }
        return out
    }

    private static func convert(_ value: any TOMLValueConvertible) -> JSONValue {
        switch value.type {
        case .table: return value.table.map { .object(convert($0)) } ?? .null
        case .array: return value.array.map { array in .array(array.map { convert($0) }) } ?? .null
        case .string: return value.string.map { .string($0) } ?? .null
        case .int: return value.int.map { .int($0) } ?? .null
        case .double: return value.double.map { .double($0) } ?? .null
        case .bool: return value.bool.map { .bool($0) } ?? .null
        case .date: return value.date.map { .string($0.debugDescription) } ?? .null
        case .time: return value.time.map { .string($0.debugDescription) } ?? .null
        case .dateTime: return value.dateTime.map { .string($0.debugDescription) } ?? .null
        }
    }
}

/// Reads typed fields out of a parsed table; every error names the dotted field path.
struct FieldReader {
    let values: [String: JSONValue]
    let path: String
    let fail: @Sendable (String, String) -> TaskError

    init(_ values: [String: JSONValue], path: String, fail: @escaping @Sendable (String, String) -> TaskError) {
        self.values = values
        self.path = path
        self.fail = fail
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ message: String) -> TaskError { fail(field(key), message) }

    /// Keys present that the reader does not know.
    func unknownKeys(_ known: Set<String>) -> [String] {
        values.keys.filter { !known.contains($0) }.sorted().map { field($0) }
    }

    func string(_ key: String) throws(TaskError) -> String? {
        guard let v = values[key] else { return nil }
        guard case .string(let s) = v else { throw error(key, "must be a string, not \(v.typeName)") }
        return s
    }

    func bool(_ key: String) throws(TaskError) -> Bool? {
        guard let v = values[key] else { return nil }
        guard case .bool(let b) = v else { throw error(key, "must be true or false, not \(v.typeName)") }
        return b
    }

    func int(_ key: String, min: Int? = nil) throws(TaskError) -> Int? {
        guard let v = values[key] else { return nil }
        let n: Int
        switch v {
        case .int(let i): n = i
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: n = Int(d)
        default: throw error(key, "must be an integer, not \(v.typeName)")
        }
        if let min, n < min { throw error(key, "must be at least \(min), got \(n)") }
        return n
    }

    func double(_ key: String, positive: Bool = false) throws(TaskError) -> Double? {
        guard let v = values[key] else { return nil }
        guard let d = v.number else { throw error(key, "must be a number, not \(v.typeName)") }
        if positive, !(d > 0) { throw error(key, "must be positive, got \(d)") }
        return d
    }

    /// A string or an integer (Harbor's `user` fields).
    func stringOrInt(_ key: String) throws(TaskError) -> String? {
        guard let v = values[key] else { return nil }
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: throw error(key, "must be a user name or uid, not \(v.typeName)")
        }
    }

    func oneOf(_ key: String, _ allowed: [String]) throws(TaskError) -> String? {
        guard let s = try string(key) else { return nil }
        guard allowed.contains(s) else {
            throw error(key, "must be one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(s)\"")
        }
        return s
    }

    func strings(_ key: String) throws(TaskError) -> [String]? {
        guard let v = values[key] else { return nil }
        guard case .array(let items) = v else { throw error(key, "must be an array of strings, not \(v.typeName)") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw error("\(key)[\(i)]", "must be a string, not \(item.typeName)") }
            out.append(s)
        }
        return out
    }

    func stringMap(_ key: String) throws(TaskError) -> [String: String]? {
        guard let v = values[key] else { return nil }
        guard case .object(let table) = v else { throw error(key, "must be a table of strings, not \(v.typeName)") }
        var out: [String: String] = [:]
        for (k, item) in table {
            switch item {
            case .string(let s): out[k] = s
            case .int(let i): out[k] = String(i)
            case .double(let d): out[k] = String(d)
            case .bool(let b): out[k] = String(b)
            default: throw error("\(key).\(k)", "must be a string, not \(item.typeName)")
            }
        }
        return out
    }

    func table(_ key: String) throws(TaskError) -> FieldReader? {
        guard let v = values[key] else { return nil }
        guard case .object(let t) = v else { throw error(key, "must be a table, not \(v.typeName)") }
        return FieldReader(t, path: field(key), fail: fail)
    }

    func tables(_ key: String) throws(TaskError) -> [FieldReader]? {
        guard let v = values[key] else { return nil }
        guard case .array(let items) = v else { throw error(key, "must be an array of tables, not \(v.typeName)") }
        var out: [FieldReader] = []
        for (i, item) in items.enumerated() {
            guard case .object(let t) = item else { throw error("\(key)[\(i)]", "must be a table, not \(item.typeName)") }
            out.append(FieldReader(t, path: "\(field(key))[\(i)]", fail: fail))
        }
        return out
    }
}
