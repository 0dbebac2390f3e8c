import AAAnalytics
import Foundation
import Testing

@Suite struct TablesTests {
    typealias Call = Fixtures.Call

    func sampleTables() -> TraceTables {
        TableBuilder.build([
            Fixtures.trial("a", name: "a1", reward: 1, calls: [Call(command: "ls /app"), Call(command: "pytest -q tests")]),
            Fixtures.trial("a", name: "a2", reward: 0, calls: [Call(command: "ls /srv"), Call(command: "cat /nope", exit: 1, output: "cat: /nope: No such file or directory")]),
            Fixtures.trial("b", name: "b1", reward: 0.5, calls: [Call(command: "make build", exit: 2, output: "make: *** [all] Error 2")], exception: "AgentTimeoutError"),
        ])
    }

    @Test func buildsDictionaryEncodedTablesInOnePass() {
        let t = sampleTables()
        #expect(t.trials.count == 3)
        #expect(t.steps.count == 5)
        #expect(t.trials.task.dictionary == ["a", "b"])
        #expect(t.trials.task.codes == [0, 0, 1])
        #expect(t.trials.steps(of: 1) == 2..<4)
        #expect(t.trials.stepCount == [2, 2, 1])
        // `ls /app` and `ls /srv` share a template; the failing cat has an error template.
        #expect(t.steps.commandTemplate[0] == t.steps.commandTemplate[2])
        #expect(t.commandTemplate(t.steps.commandTemplate[0]) == "ls <*>")
        #expect(t.steps.failed(3))
        #expect(!t.steps.failed(2))
        #expect(t.errorTemplate(t.steps.errorTemplate[3]) == "cat: <*>: No such file or directory")
        #expect(t.steps.errorTemplate[0] == 0)
    }

    @Test func groupsAndAggregates() {
        let t = sampleTables()
        let byTask = t.rewardByTask()
        #expect(byTask.map(\.key) == ["a", "b"])
        #expect(byTask[0].rows == 2)
        #expect(byTask[0].mean == 0.5)
        #expect(byTask[0].median == 0.5)
        #expect(byTask[1].sum == 0.5)
        let kinds = t.steps.kind.counts(rows: 0..<t.steps.count)
        #expect(kinds.first?.key == "tool_call")
        #expect(kinds.first?.count == 5)
        #expect(t.stepRows { t.steps.failed($0) } == [3, 4])
    }

    @Test func storesAndReloadsColumnFiles() throws {
        let t = sampleTables()
        let folder = Fixtures.folder("tables")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ColumnStore.save(t, to: folder)
        #expect(ColumnStore.isStore(folder))
        let loaded = try ColumnStore.load(from: folder)
        #expect(loaded == t)

        // A damaged column file is reported by name.
        let column = folder + "/steps.command_template.zst"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: column)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: column))
        do {
            _ = try ColumnStore.load(from: folder)
            Issue.record("loaded a damaged column")
        } catch {
            #expect(error.path == column)
        }
    }

    @Test func mergesStoredTablesWithOtherInputs() throws {
        let t = sampleTables()
        let records = (0..<t.trials.count).map(t.record)
        #expect(TableBuilder.build(records) == t)
    }

    @Test func exportsCSVAndJSONLines() throws {
        let t = sampleTables()
        let folder = Fixtures.folder("export")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try TableExport.write(t, format: .csv, to: folder)
        try TableExport.write(t, format: .jsonl, to: folder)
        let csv = try String(contentsOfFile: folder + "/steps.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 6)
        #expect(csv[0].hasPrefix("trial_id,step,kind,tool,command,command_template_id,command_template,exit_code"))
        #expect(csv[4].contains("No such file or directory") || csv[4].contains("cat <*>"))
        let lines = try String(contentsOfFile: folder + "/trials.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let row = try #require(try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any])
        #expect(row["task"] as? String == "b")
        #expect(row["exception"] as? String == "AgentTimeoutError")
        #expect(row["reward"] as? Double == 0.5)
        #expect(row["cost_usd"] is NSNull)
    }
}
