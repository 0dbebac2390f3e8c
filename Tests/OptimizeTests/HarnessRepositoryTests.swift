import AACore
import Foundation
import Testing

@Suite struct HarnessRepositoryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func editsBecomeCommitsAndOnlyKeptOnesMoveMain() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("repo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(await !HarnessRepository(directory: dir + "/harness").exists())
        let repo = try await HarnessRepository.create(at: dir + "/harness", from: Self.root + "/examples/harness")
        #expect(await repo.exists())
        let base = try await repo.commit(of: "main")
        #expect(try await repo.files(of: base).map(\.path).contains("tools/bash.toml"))

        try "Check your work.\n".write(toFile: dir + "/harness/system.md", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/harness/skills", withIntermediateDirectories: true)
        try "notes\n".write(toFile: dir + "/harness/skills/notes.md", atomically: true, encoding: .utf8)
        let changes = try await repo.workTreeChanges(against: base)
        #expect(changes.map(\.path) == ["skills/notes.md", "system.md"])
        #expect(changes[0].before == nil && changes[0].after == "notes\n")
        #expect(changes[1].before?.hasPrefix("You are an expert engineer") == true && changes[1].after == "Check your work.\n")

        let first = try await repo.commitWorkTree(parent: base, experiment: 1, message: "check work")
        try await repo.resetWorkTree()
        #expect(try await repo.commit(of: "main") == base, "committing an experiment does not move main")
        #expect(try await repo.commit(of: HarnessRepository.experimentRef(1)) == first)
        #expect(!FileManager.default.fileExists(atPath: dir + "/harness/skills/notes.md"), "the work tree is back on main")
        let diff = try await repo.diff(from: base, to: first)
        #expect(diff.contains("+Check your work.") && diff.contains("skills/notes.md"))

        try await repo.export(first, to: dir + "/snapshot")
        #expect(try String(contentsOfFile: dir + "/snapshot/system.md", encoding: .utf8) == "Check your work.\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/snapshot/.git"))

        try await repo.advanceMain(to: first)
        #expect(try await repo.commit(of: "main") == first)
        #expect(FileManager.default.fileExists(atPath: dir + "/harness/skills/notes.md"))

        // A repository whose creation a kill cut short (no commit yet) does not count as existing.
        try FileManager.default.createDirectory(atPath: dir + "/harness/cut/.git", withIntermediateDirectories: true)
        #expect(await !HarnessRepository(directory: dir + "/harness/cut").exists(), "git must not find the enclosing repository")
    }
}
