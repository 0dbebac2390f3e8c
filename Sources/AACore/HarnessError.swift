/// A harness directory that cannot be used as written: names the file, the line when known, and the field.
public struct HarnessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Path of the file, relative to the harness directory.
    public var file: String
    /// 1-based line; nil when the whole file is at fault or the line is unknown.
    public var line: Int?
    /// Dotted field path; empty for a whole-file problem.
    public var field: String
    public var message: String

    public init(file: String, line: Int? = nil, field: String = "", message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var place = "harness: \(file)"
        if let line { place += ":\(line)" }
        if !field.isEmpty { place += ": \(field)" }
        return "\(place): \(message)"
    }
}
