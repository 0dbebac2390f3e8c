/// A task that cannot be loaded or run as written: names the task, the file, and the field or line.
public struct TaskError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The task's directory name (or configured name).
    public var task: String
    /// The file inside the task, relative to the task directory (e.g. "task.toml").
    public var file: String
    /// The field (dotted TOML path) or "line N" the problem is at; empty when the whole file is at fault.
    public var location: String
    public var message: String

    public init(task: String, file: String, location: String = "", message: String) {
        self.task = task
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String {
        let at = location.isEmpty ? "" : " \(location):"
        return "task \(task): \(file):\(at) \(message)"
    }
}
