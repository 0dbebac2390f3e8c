import Foundation

/// What the meta-agent submits: a one-line description and the hypothesis it tests.
public struct Proposal: Sendable, Codable, Equatable {
    public var description: String
    public var hypothesis: String
    /// Harness files the edit changed.
    public var files: [String]

    public init(description: String, hypothesis: String, files: [String] = []) {
        self.description = description
        self.hypothesis = hypothesis
        self.files = files
    }
}

/// The meta-agent's tools and the only window it has on the run: the harness work tree, the search
/// panel (names, a spot check, the failure report, trial traces) and its learnings memo. Nothing
/// here can reach validation or test tasks.
public struct MetaAgentTools: Sendable {
    /// The harness work tree the edits go to.
    public let harnessDirectory: String
    public let searchTasks: [String]
    /// The failure report of the parent's search job (Markdown).
    public let failureReport: String
    /// The parent's search job folder (its trials are the traces the agent may read).
    public let searchJobDirectory: String?
    public let learningsPath: String
    /// Runs the work tree's harness on the given search tasks (one trial each) and describes the result.
    public let spotCheck: @Sendable ([String]) async throws -> String
    /// Whether the work tree differs from the parent (a submission without an edit is refused).
    public let hasEdits: @Sendable () async -> Bool

    public static let maxFileBytes = 256 << 10
    public static let maxLearningsBytes = 16 << 10
    public static let maxObservationBytes = 12_000

    public init(harnessDirectory: String, searchTasks: [String], failureReport: String, searchJobDirectory: String?,
                learningsPath: String, spotCheck: @escaping @Sendable ([String]) async throws -> String,
                hasEdits: @escaping @Sendable () async -> Bool = { true }) {
        self.harnessDirectory = harnessDirectory
        self.searchTasks = searchTasks
        self.failureReport = failureReport
        self.searchJobDirectory = searchJobDirectory
        self.learningsPath = learningsPath
        self.spotCheck = spotCheck
        self.hasEdits = hasEdits
    }

    public static let submitName = "submit"

    /// The tools as the model sees them.
    public static var specs: [ModelToolSpec] {
        let text = JSONValue.object(["type": .string("string")])
        let list = JSONValue.object(["type": .string("array"), "items": text])
        func schema(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
            .object(["type": .string("object"), "properties": .object(properties), "required": .array(required.map { .string($0) })])
        }
        return [
            ModelToolSpec(name: "list_files", description: "List the harness files with their sizes.", parameters: schema([:], required: [])),
            ModelToolSpec(name: "read_file", description: "Read a harness file (path relative to the harness).",
                          parameters: schema(["path": text], required: ["path"])),
            ModelToolSpec(name: "write_file", description: "Create or replace a harness file with the given content.",
                          parameters: schema(["path": text, "content": text], required: ["path", "content"])),
            ModelToolSpec(name: "patch_file", description: "Replace the one occurrence of old_text by new_text in a harness file.",
                          parameters: schema(["path": text, "old_text": text, "new_text": text], required: ["path", "old_text", "new_text"])),
            ModelToolSpec(name: "delete_file", description: "Delete a harness file.", parameters: schema(["path": text], required: ["path"])),
            ModelToolSpec(name: "spot_check", description: "Run the edited harness once on a few search tasks (names from the search panel) and see the rewards.",
                          parameters: schema(["tasks": list], required: ["tasks"])),
            ModelToolSpec(name: "read_report", description: "Read the failure report of the current best harness on the search panel.",
                          parameters: schema([:], required: [])),
            ModelToolSpec(name: "read_trace", description: "Read the trace of one search trial (a trial name from the report, or a search task name for its first trial).",
                          parameters: schema(["trial": text], required: ["trial"])),
            ModelToolSpec(name: "write_learnings", description: "Replace your learnings memo (kept across experiments, size-capped) with this text.",
                          parameters: schema(["text": text], required: ["text"])),
            ModelToolSpec(name: submitName, description: "Submit the edit for evaluation: a one-line description and the hypothesis it tests. Ends this proposal.",
                          parameters: schema(["description": text, "hypothesis": text], required: ["description", "hypothesis"])),
        ]
    }

    /// Runs one tool call; the text goes back to the model.
    public func run(_ name: String, arguments: [String: JSONValue]) async -> String {
        do {
            switch name {
            case "list_files": return listFiles()
            case "read_file":
                let path = try resolve(arguments["path"]?.stringValue)
                guard let data = FileManager.default.contents(atPath: path) else { return "error: no such file" }
                return Self.cut(String(decoding: data, as: UTF8.self))
            case "write_file":
                let path = try resolve(arguments["path"]?.stringValue)
                let content = arguments["content"]?.stringValue ?? ""
                guard content.utf8.count <= Self.maxFileBytes else { return "error: a harness file may hold at most \(Self.maxFileBytes) bytes" }
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(content.utf8).write(to: URL(fileURLWithPath: path))
                return "wrote \(content.utf8.count) bytes"
            case "patch_file":
                let path = try resolve(arguments["path"]?.stringValue)
                guard let data = FileManager.default.contents(atPath: path) else { return "error: no such file" }
                let text = String(decoding: data, as: UTF8.self)
                let old = arguments["old_text"]?.stringValue ?? ""
                guard !old.isEmpty else { return "error: old_text is empty" }
                let count = text.components(separatedBy: old).count - 1
                guard count == 1 else { return "error: old_text occurs \(count) times; it must occur exactly once" }
                try Data(text.replacingOccurrences(of: old, with: arguments["new_text"]?.stringValue ?? "").utf8)
                    .write(to: URL(fileURLWithPath: path))
                return "patched"
            case "delete_file":
                try FileManager.default.removeItem(atPath: try resolve(arguments["path"]?.stringValue))
                return "deleted"
            case "spot_check":
                let asked = arguments["tasks"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let unknown = asked.filter { !searchTasks.contains($0) }
                guard unknown.isEmpty else { return "error: not search tasks: \(unknown.joined(separator: ", "))" }
                guard !asked.isEmpty else { return "error: name one or more search tasks" }
                return Self.cut(try await spotCheck(Array(asked.prefix(3))))
            case "read_report": return Self.cut(failureReport)
            case "read_trace": return readTrace(arguments["trial"]?.stringValue ?? "")
            case "write_learnings":
                let text = arguments["text"]?.stringValue ?? ""
                let capped = String(decoding: Array(text.utf8.prefix(Self.maxLearningsBytes)), as: UTF8.self)
                try Data(capped.utf8).write(to: URL(fileURLWithPath: learningsPath))
                return capped.utf8.count < text.utf8.count ? "saved, cut to \(Self.maxLearningsBytes) bytes" : "saved"
            default: return "error: unknown tool \(name)"
            }
        } catch {
            return "error: \(error)"
        }
    }

    struct PathError: Error, CustomStringConvertible {
        var description: String
    }

    /// An absolute path inside the harness, or an error for paths that leave it.
    func resolve(_ relative: String?) throws -> String {
        guard let relative, !relative.isEmpty else { throw PathError(description: "a path is required") }
        if let problem = EditGuard.pathProblem(relative) { throw PathError(description: problem) }
        return harnessDirectory + "/" + relative
    }

    func listFiles() -> String {
        let files = (FileManager.default.subpaths(atPath: harnessDirectory) ?? []).sorted().filter { !$0.hasPrefix(".git") }
        var lines: [String] = []
        for file in files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: harnessDirectory + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let size = (try? FileManager.default.attributesOfItem(atPath: harnessDirectory + "/" + file)[.size] as? Int) ?? 0
            lines.append("\(file) (\(size) bytes)")
        }
        return lines.joined(separator: "\n")
    }

    func readTrace(_ name: String) -> String {
        guard let job = searchJobDirectory else { return "error: no search job yet" }
        let trials = ((try? FileManager.default.contentsOfDirectory(atPath: job)) ?? []).filter { $0.contains("__") }.sorted()
        let chosen = trials.first { $0 == name } ?? trials.first { $0.hasPrefix(name + "__") && searchTasks.contains(name) }
        guard let trial = chosen else { return "error: no search trial named \(name); trials: \(trials.prefix(40).joined(separator: ", "))" }
        guard let trajectory = try? JSONFile.read(Trajectory.self, from: job + "/" + trial + "/agent/trajectory.json") else {
            return "error: \(trial) has no trajectory"
        }
        var text = "trial \(trial)"
        if let result = try? JSONFile.read(TrialResultRecord.self, from: job + "/" + trial + "/result.json") {
            text += ", reward \(result.reward)" + (result.exceptionInfo.map { ", exception \($0.exceptionType)" } ?? "")
        }
        for step in trajectory.steps where step.source != "system" {
            text += "\n[\(step.stepID) \(step.source)] \(step.message.prefix(800))"
            for call in step.toolCalls ?? [] {
                text += "\n  call \(call.functionName) \(JSONValue.object(call.arguments).jsonText.prefix(800))"
            }
            for result in step.observation?.results ?? [] {
                text += "\n  → \((result.content ?? "").prefix(1200))"
            }
        }
        return Self.cut(text)
    }

    static func cut(_ text: String) -> String {
        guard text.utf8.count > maxObservationBytes else { return text }
        return String(decoding: Array(text.utf8.prefix(maxObservationBytes)), as: UTF8.self) + "\n[… cut]"
    }
}
