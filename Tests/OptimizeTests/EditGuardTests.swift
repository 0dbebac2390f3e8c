import AACore
import Foundation
import Testing

@Suite struct EditGuardTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let toml = (try? String(contentsOfFile: root + "/examples/harness/harness.toml", encoding: .utf8)) ?? ""

    let guardian = EditGuard(taskNames: ["hello-file", "csv-sales-summary", "ab"],
                             verifierLiterals: ["the expected total is 4821.50"], directive: ProgramDirective(),
                             visibleNames: ["hello-file"])

    func change(_ path: String, _ before: String?, _ after: String?) -> EditGuard.Change {
        EditGuard.Change(path: path, before: before, after: after)
    }

    @Test func generalEditPasses() {
        let edit = change("system.md", "Be careful.", "Be careful.\nRun the tests before you finish; read files before editing them.")
        #expect(guardian.check([edit], harnessDirectory: Self.root + "/examples/harness") == nil)
    }

    @Test func emptyEditIsRejected() {
        #expect(guardian.check([], harnessDirectory: Self.root + "/examples/harness") == "the edit changes nothing")
    }

    @Test func namingATaskIsRejectedInAnySpelling() {
        for text in ["For hello-file write the greeting.", "if task == HELLO_FILE", "the csv sales summary task needs"] {
            let reason = guardian.check([change("skills/notes.md", nil, text)], harnessDirectory: Self.root + "/examples/harness")
            #expect(reason?.contains(" names ") == true, "\(text)")
        }
        // Only search-panel names are repeated in the reason (the meta-agent reads the ledger).
        let heldOut = guardian.check([change("system.md", "", "csv-sales-summary")], harnessDirectory: Self.root + "/examples/harness")
        #expect(heldOut?.contains("names a held-out task") == true && heldOut?.contains("csv") == false)
        let visible = guardian.check([change("system.md", "", "hello-file")], harnessDirectory: Self.root + "/examples/harness")
        #expect(visible?.contains("names the task \"hello-file\"") == true)
        // Names shorter than four characters are not words the guard can tell apart from prose.
        #expect(guardian.check([change("system.md", "", "ab testing is fine")], harnessDirectory: Self.root + "/examples/harness") == nil)
        // Part of a longer word is not the name.
        #expect(guardian.check([change("system.md", "", "hello-filesystem")], harnessDirectory: Self.root + "/examples/harness") == nil)
        // A name the parent already had is not added by this edit.
        #expect(guardian.check([change("system.md", "see hello-file\n", "see hello-file\nmore")],
                               harnessDirectory: Self.root + "/examples/harness") == nil)
    }

    @Test func verifierLiteralsAreRejected() {
        let reason = guardian.check([change("system.md", "", "Always print: the expected total is 4821.50")],
                                    harnessDirectory: Self.root + "/examples/harness")
        #expect(reason?.contains("verifier literal") == true && reason?.contains("4821") == false)
    }

    @Test func verifierLiteralsComeFromTestsFiles() {
        let tests = (try? FileManager.default.contentsOfDirectory(atPath: Self.root + "/examples/tasks"))?.sorted()
            .map { Self.root + "/examples/tasks/" + $0 + "/tests" } ?? []
        let literals = EditGuard.verifierLiterals(testsDirectories: tests)
        #expect(literals.contains("hello.txt is missing or wrong"))
        #expect(literals.allSatisfy { $0.count >= EditGuard.minimumLiteralLength })
    }

    @Test func modelAndBudgetChangesNeedTheDirective() {
        let model = Self.toml.replacingOccurrences(of: "name = \"default\"", with: "name = \"bigger-model\"")
        let budget = Self.toml.replacingOccurrences(of: "turns = 30", with: "turns = 60")
        let sampling = Self.toml.replacingOccurrences(of: "temperature = 0.2", with: "temperature = 0.9")
        let timeout = Self.toml.replacingOccurrences(of: "tool_timeout_sec = 120", with: "tool_timeout_sec = 60")
        #expect(model != Self.toml && budget != Self.toml && sampling != Self.toml && timeout != Self.toml)
        let dir = Self.root + "/examples/harness"
        #expect(guardian.check([change("harness.toml", Self.toml, model)], harnessDirectory: dir)?.contains("allow: model") == true)
        #expect(guardian.check([change("harness.toml", Self.toml, sampling)], harnessDirectory: dir)?.contains("[sampling]") == true)
        #expect(guardian.check([change("harness.toml", Self.toml, budget)], harnessDirectory: dir)?.contains("allow: budgets") == true)
        #expect(guardian.check([change("harness.toml", Self.toml, timeout)], harnessDirectory: dir) == nil)
        let permissive = EditGuard(taskNames: [], verifierLiterals: [], directive: ProgramDirective(allowModel: true, allowBudgets: true))
        #expect(permissive.check([change("harness.toml", Self.toml, model)], harnessDirectory: dir) == nil)
        #expect(permissive.check([change("harness.toml", Self.toml, budget)], harnessDirectory: dir) == nil)
    }

    @Test func pathsAndLinksOutsideTheHarnessAreRejected() throws {
        #expect(guardian.check([change("../program.md", "", "x")], harnessDirectory: Self.root + "/examples/harness")?.contains("leaves") == true)
        #expect(guardian.check([change("/etc/passwd", "", "x")], harnessDirectory: Self.root + "/examples/harness")?.contains("absolute") == true)
        #expect(guardian.check([change(".git/config", "", "x")], harnessDirectory: Self.root + "/examples/harness") != nil)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/skills", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/skills/inside", withDestinationPath: "../skills")
        #expect(guardian.check([change("skills/a.md", nil, "notes")], harnessDirectory: dir) == nil)
        try FileManager.default.createSymbolicLink(atPath: dir + "/skills/secrets", withDestinationPath: "/etc")
        #expect(guardian.check([change("skills/a.md", nil, "notes")], harnessDirectory: dir)?.contains("skills/secrets") == true)
    }

    @Test func directiveNeedsAnAllowLineNotAMention() throws {
        let program = try String(contentsOfFile: Self.root + "/program.md", encoding: .utf8)
        #expect(ProgramDirective.parse(program) == ProgramDirective())
        let allowed = program.replacingOccurrences(of: "## Directive\n", with: "## Directive\n\n- allow: model, budgets\n")
        #expect(ProgramDirective.parse(allowed) == ProgramDirective(allowModel: true, allowBudgets: true))
        let elsewhere = program + "\n## Notes\n\nallow: model\n"
        #expect(ProgramDirective.parse(elsewhere) == ProgramDirective())
    }
}
