import Foundation

/// A Harbor task folder, loaded and validated: `task.toml`, `instruction.md`, `environment/`,
/// `tests/test.sh` and optionally `solution/solve.sh`.
public struct TaskDefinition: Sendable, Equatable {
    /// Absolute path of the task directory.
    public var directory: String
    /// `[task].name` if set, else the directory name.
    public var name: String
    public var config: TaskConfig
    /// The instruction with leading canary comment lines removed.
    public var instruction: String
    /// Dotted paths of keys in task.toml that this runner does not know (Harbor ignores them too).
    public var unknownKeys: [String]

    public var directoryName: String { (directory as NSString).lastPathComponent }
    public var environmentDirectory: String { directory + "/environment" }
    public var testsDirectory: String { directory + "/tests" }
    public var solutionDirectory: String { directory + "/solution" }
    public var dockerfilePath: String? {
        let path = environmentDirectory + "/Dockerfile"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
    public var hasSolution: Bool { FileManager.default.fileExists(atPath: solutionDirectory + "/solve.sh") }

    /// Loads one task directory; every problem is a `TaskError` naming the task, file and field.
    public static func load(directory: String) throws(TaskError) -> TaskDefinition {
        let dir = URL(fileURLWithPath: directory).standardizedFileURL.path
        let label = (dir as NSString).lastPathComponent
        func fail(_ file: String, _ message: String) -> TaskError { TaskError(task: label, file: file, message: message) }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw TaskError(task: label, file: ".", message: "is not a directory: \(dir)")
        }
        guard let toml = try? String(contentsOfFile: dir + "/task.toml", encoding: .utf8) else {
            throw fail("task.toml", fm.fileExists(atPath: dir + "/task.toml") ? "cannot be read as UTF-8 text" : "is missing")
        }
        let (config, unknown) = try TaskConfig.parse(toml) { field, message in
            TaskError(task: label, file: "task.toml", location: field, message: message)
        }
        let name = config.task?.name ?? label
        func named(_ file: String, _ location: String = "", _ message: String) -> TaskError {
            TaskError(task: name, file: file, location: location, message: message)
        }
        guard fm.fileExists(atPath: dir + "/environment", isDirectory: &isDir), isDir.boolValue else {
            throw named("environment/", "", "is missing (a task needs an environment directory, with a Dockerfile unless [environment].docker_image is set)")
        }
        if config.environment.dockerImage == nil, !fm.fileExists(atPath: dir + "/environment/Dockerfile") {
            if fm.fileExists(atPath: dir + "/environment/docker-compose.yaml") {
                throw named("environment/docker-compose.yaml", "", "compose environments are not supported; use a Dockerfile")
            }
            throw named("environment/Dockerfile", "", "is missing and task.toml sets no [environment].docker_image")
        }
        let steps = config.steps ?? []
        if steps.isEmpty {
            guard let text = try? String(contentsOfFile: dir + "/instruction.md", encoding: .utf8) else {
                throw named("instruction.md", "", fm.fileExists(atPath: dir + "/instruction.md") ? "cannot be read as UTF-8 text" : "is missing")
            }
            let instruction = stripCanary(text)
            if instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw named("instruction.md", "", "is empty") }
            guard fm.fileExists(atPath: dir + "/tests/test.sh") else { throw named("tests/test.sh", "", "is missing") }
            return TaskDefinition(directory: dir, name: name, config: config, instruction: instruction, unknownKeys: unknown)
        }
        for (i, step) in steps.enumerated() {
            let base = "steps/\(step.name)"
            guard fm.fileExists(atPath: "\(dir)/\(base)/instruction.md") else {
                throw named("task.toml", "steps[\(i)].name", "\(base)/instruction.md is missing")
            }
        }
        return TaskDefinition(directory: dir, name: name, config: config, instruction: "", unknownKeys: unknown)
    }

    /// Loads `-p`: the path itself if it is a task, else every task directory directly inside it.
    /// Children that are not tasks at all (no task.toml) are skipped; broken tasks are errors.
    public static func loadSuite(path: String) throws(TaskError) -> [TaskDefinition] {
        let dir = URL(fileURLWithPath: path).standardizedFileURL.path
        let fm = FileManager.default
        if fm.fileExists(atPath: dir + "/task.toml") { return [try load(directory: dir)] }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw TaskError(task: (dir as NSString).lastPathComponent, file: ".", message: "no such task or dataset directory: \(dir)")
        }
        let children = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        var tasks: [TaskDefinition] = []
        for child in children where fm.fileExists(atPath: "\(dir)/\(child)/task.toml") {
            tasks.append(try load(directory: "\(dir)/\(child)"))
        }
        if tasks.isEmpty {
            throw TaskError(task: (dir as NSString).lastPathComponent, file: ".", message: "contains no task (no task.toml in it or in any directory directly inside it)")
        }
        var seen: [String: String] = [:]
        for t in tasks {
            if let other = seen[t.name] {
                throw TaskError(task: t.name, file: "task.toml", location: "task.name", message: "is also the name of the task in \(other)")
            }
            seen[t.name] = t.directory
        }
        return tasks
    }

    /// Removes leading canary comment lines (HTML comments or `#` lines mentioning "canary").
    static func stripCanary(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while let first = lines.first {
            let t = first.trimmingCharacters(in: .whitespaces)
            let isComment = t.hasPrefix("<!--") || t.hasPrefix("#")
            guard isComment, t.lowercased().contains("canary") else { break }
            lines.removeFirst()
        }
        return lines.joined(separator: "\n")
    }
}
