@testable import AACore
import Foundation
import Testing

/// `agents/*.toml`: subagents callable as tools, validated with file, line and field.
@Suite struct SubagentFormatTests {
    typealias HarnessCopy = HarnessFormatTests.HarnessCopy

    @Test func aSubagentLoadsWithItsToolsPromptAndTurns() throws {
        let copy = try HarnessCopy()
        try copy.write("agents/checker.toml", """
            description = "Checks the work against the task and reports what is wrong."
            system_file = "checker.md"
            tools = ["bash"]
            turns = 4
            """)
        try copy.write("agents/checker.md", "You check work. Answer with a list of problems.\n")
        let harness = try Harness.load(directory: copy.path)
        #expect(harness.subagents == [HarnessSubagent(name: "checker", description: "Checks the work against the task and reports what is wrong.",
                                                      systemPrompt: "You check work. Answer with a list of problems.", tools: ["bash"], turns: 4)])
        let spec = harness.subagents[0].spec
        #expect(spec.name == "checker" && spec.parameters["required"] == .array([.string("task")]))
    }

    @Test func mistakesNameTheFileLineAndField() throws {
        let copy = try HarnessCopy()
        try copy.write("agents/a.toml", "description = \"x\"\nsystem = \"y\"\ntools = [\"bash\", \"edit\"]\n")
        let unknownTool = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(unknownTool.file == "agents/a.toml" && unknownTool.line == 3 && unknownTool.field == "tools[1]")

        try copy.write("agents/a.toml", "name = \"bash\"\ndescription = \"x\"\nsystem = \"y\"\n")
        let clash = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(clash.file == "agents/a.toml" && clash.line == 1 && clash.message.contains("already named"))

        try copy.write("agents/a.toml", "description = \"x\"\nsystem_file = \"../system.md\"\n")
        let outside = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(outside.field == "system_file" && outside.line == 2)

        try copy.write("agents/a.toml", "description = \"x\"\n")
        let noPrompt = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(noPrompt.field == "system")

        try copy.write("agents/a.toml", "description = \"x\"\nsystem = \"y\"\nturns = 0\n")
        let turns = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(turns.field == "turns" && turns.line == 3)
    }
}
