import AACore
import Foundation
import Testing

@Suite struct PanelsTests {
    static let names = (1...12).map { String(format: "task-%02d", $0) }

    @Test func seededSplitIsDeterministicDisjointAndComplete() {
        let a = Panels.split(Self.names, seed: 7)
        let b = Panels.split(Self.names.reversed(), seed: 7)
        #expect(a == b)
        #expect((a.search.count, a.validation.count, a.test.count) == (6, 3, 3))
        #expect(Set(a.all) == Set(Self.names) && a.all.count == Self.names.count)
        let others = (0..<20).map { Panels.split(Self.names, seed: UInt64($0)) }
        #expect(Set(others.map(\.search)).count > 1, "different seeds should give different splits")
    }

    @Test func smallSuitesKeepOneTaskPerPanelWhenTheyCan() {
        let three = Panels.split(["a", "b", "c"], seed: 1)
        #expect((three.search.count, three.validation.count, three.test.count) == (1, 1, 1))
        let two = Panels.split(["a", "b"], seed: 1)
        #expect((two.search.count, two.validation.count, two.test.count) == (1, 1, 0))
        let one = Panels.split(["a"], seed: 1)
        #expect(one.search == ["a"] && one.validation.isEmpty && one.test.isEmpty)
        let five = Panels.split(["a", "b", "c", "d", "e"], seed: 3)
        #expect(five.search.count >= 1 && five.validation.count >= 1 && five.test.count >= 1)
        #expect(five.all.count == 5)
    }

    @Test func panelsFileIsCheckedAgainstTheSuite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("panels-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = dir + "/good.toml"
        try #"search = ["task-01", "task-02"]\#nvalidation = ["task-03"]\#ntest = ["task-04"]\#n"#.write(toFile: good, atomically: true, encoding: .utf8)
        let panels = try Panels.load(file: good, suite: Self.names)
        #expect(panels == Panels(search: ["task-01", "task-02"], validation: ["task-03"], test: ["task-04"]))

        let unknown = dir + "/unknown.toml"
        try #"search = ["task-01", "nope"]\#n"#.write(toFile: unknown, atomically: true, encoding: .utf8)
        #expect { try Panels.load(file: unknown, suite: Self.names) } throws: { error in
            let text = "\(error)"
            return text.contains(unknown) && text.contains("\"nope\"")
        }
        let twice = dir + "/twice.toml"
        try #"search = ["task-01"]\#ntest = ["task-01"]\#n"#.write(toFile: twice, atomically: true, encoding: .utf8)
        #expect(throws: Panels.Failure.self) { try Panels.load(file: twice, suite: Self.names) }
        let typo = dir + "/typo.toml"
        try #"serch = ["task-01"]\#n"#.write(toFile: typo, atomically: true, encoding: .utf8)
        #expect { try Panels.load(file: typo, suite: Self.names) } throws: { "\($0)".contains("serch") }
    }
}
