@testable import AACore
import Foundation
import Testing

/// A task folder written for one test and removed after it.
struct TaskFolder: ~Copyable {
    let root: String

    init(files: [String: String]) throws {
        root = FileManager.default.temporaryDirectory.path + "/aa-task-\(UUID().uuidString)"
        for (path, content) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    static let valid: [String: String] = [
        "demo/task.toml": "[agent]\ntimeout_sec = 10\n",
        "demo/instruction.md": "<!-- canary GUID 1234 -->\nDo the thing.\n",
        "demo/environment/Dockerfile": "FROM debian:bookworm\n",
        "demo/tests/test.sh": "echo 1 > /logs/verifier/reward.txt\n",
        "demo/solution/solve.sh": "true\n",
    ]
}

@Suite struct TaskDefinitionTests {
    @Test func loadsATaskAndStripsTheCanary() throws {
        let folder = try TaskFolder(files: TaskFolder.valid)
        let task = try TaskDefinition.load(directory: folder.root + "/demo")
        #expect(task.name == "demo")
        #expect(task.instruction == "Do the thing.\n")
        #expect(task.hasSolution)
        #expect(task.config.agent.timeoutSec == 10)
    }

    @Test func aFolderOfTasksIsADataset() throws {
        var files = TaskFolder.valid
        for (k, v) in TaskFolder.valid { files[k.replacingOccurrences(of: "demo/", with: "other/")] = v }
        files["notes/readme.md"] = "not a task"
        let folder = try TaskFolder(files: files)
        let tasks = try TaskDefinition.loadSuite(path: folder.root)
        #expect(tasks.map(\.name) == ["demo", "other"])
        #expect(try TaskDefinition.loadSuite(path: folder.root + "/demo").map(\.name) == ["demo"])
    }

    @Test func configuredNamesMustBeUnique() throws {
        var files = TaskFolder.valid
        for (k, v) in TaskFolder.valid { files[k.replacingOccurrences(of: "demo/", with: "other/")] = v }
        files["demo/task.toml"] = "[task]\nname = \"same\"\n"
        files["other/task.toml"] = "[task]\nname = \"same\"\n"
        let folder = try TaskFolder(files: files)
        #expect(throws: TaskError.self) { try TaskDefinition.loadSuite(path: folder.root) }
    }

    @Test(arguments: [
        ("demo/tests/test.sh", "tests/test.sh", "is missing"),
        ("demo/instruction.md", "instruction.md", "is missing"),
        ("demo/environment/Dockerfile", "environment/Dockerfile", "docker_image"),
        ("demo/task.toml", "task.toml", "is missing"),
    ])
    func missingFilesAreNamed(removed: String, file: String, message: String) throws {
        var files = TaskFolder.valid
        files.removeValue(forKey: removed)
        if removed == "demo/environment/Dockerfile" { files["demo/environment/.keep"] = "" }
        let folder = try TaskFolder(files: files)
        do {
            _ = try TaskDefinition.load(directory: folder.root + "/demo")
            Issue.record("expected an error about \(file)")
        } catch {
            #expect(error.task == "demo")
            #expect(error.file == file)
            #expect(error.message.contains(message), "\(error)")
        }
    }
}

@Suite struct TaskSelectionTests {
    @Test func includeThenExcludeThenLimit() throws {
        var files: [String: String] = [:]
        for name in ["alpha", "beta", "gamma", "delta"] {
            for (k, v) in TaskFolder.valid { files[k.replacingOccurrences(of: "demo/", with: "\(name)/")] = v }
        }
        let folder = try TaskFolder(files: files)
        let tasks = try TaskDefinition.loadSuite(path: folder.root)
        let names = { (t: [TaskDefinition]) in t.map(\.name) }
        #expect(names(JobSpec.select(tasks, include: [], exclude: [], limit: nil)) == ["alpha", "beta", "delta", "gamma"])
        #expect(names(JobSpec.select(tasks, include: ["*a"], exclude: [], limit: nil)) == ["alpha", "beta", "delta", "gamma"])
        #expect(names(JobSpec.select(tasks, include: ["*ta", "g*"], exclude: ["b*"], limit: nil)) == ["delta", "gamma"])
        #expect(names(JobSpec.select(tasks, include: [], exclude: ["alpha"], limit: 2)) == ["beta", "delta"])
    }
}
