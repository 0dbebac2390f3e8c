@testable import AACore
import Foundation
import Testing

/// Loading and validating harness directories, and reading actions out of model text.
@Suite struct HarnessFormatTests {
    static let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/examples/harness"

    /// A copy of the seed harness with `edit` applied, removed afterwards by the caller.
    final class HarnessCopy {
        let path = NSTemporaryDirectory() + "aa-harness-\(UUID().uuidString)"
        init() throws { try FileManager.default.copyItem(atPath: HarnessFormatTests.seed, toPath: path) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func write(_ relative: String, _ text: String) throws {
            let file = path + "/" + relative
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    @Test func seedHarnessLoads() throws {
        let harness = try Harness.load(directory: Self.seed)
        #expect(harness.tools.map(\.name) == ["bash"])
        #expect(harness.tools[0].requiredParameters == ["command"])
        #expect(harness.agent.actionProtocol == .tools)
        #expect(harness.model.provider == .openai)
        #expect(!harness.systemPrompt.isEmpty && !harness.systemPrompt.contains("\n"))
    }

    @Test func wrongTypeNamesFileLineAndField() throws {
        let copy = try HarnessCopy()
        try copy.write("harness.toml", "[model]\nname = \"m\"\n\n[budget]\n# comment\nturns = \"many\"\n")
        #expect(throws: HarnessError(file: "harness.toml", line: 6, field: "budget.turns", message: "must be an integer, not string")) {
            try Harness.load(directory: copy.path)
        }
    }

    @Test func unknownFieldAndBadSyntaxArePlaced() throws {
        let copy = try HarnessCopy()
        try copy.write("harness.toml", "[agent]\naction_protocol = \"tools\"\nmax_outptu_bytes = 5\n")
        let error = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(error.line == 3 && error.field == "agent.max_outptu_bytes" && error.message.contains("unknown field"))
        try copy.write("harness.toml", "[model]\nname = \n")
        let syntax = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(syntax.file == "harness.toml" && syntax.line == 2)
    }

    @Test func toolFilesAreValidated() throws {
        let copy = try HarnessCopy()
        try copy.write("tools/view.toml", "name = \"view\"\ndescription = \"Show a file.\"\n\n[parameters]\ntype = \"object\"\nrequired = [\"path\"]\n")
        let missing = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(missing.file == "tools/view.toml" && missing.field == "command")
        try copy.write("tools/view.toml", "name = \"view\"\ndescription = \"Show a file.\"\ncommand = 'cat \"$ARG_path\"'\n\n[parameters]\ntype = \"object\"\nrequired = [\"path\"]\n")
        let undeclared = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(undeclared.field == "parameters.required[0]" && undeclared.line == 7)
        try copy.write("tools/view.toml", "name = \"bash\"\ndescription = \"Again.\"\ncommand = 'true'\n")
        let duplicate = try #require(throws: HarnessError.self) { try Harness.load(directory: copy.path) }
        #expect(duplicate.file == "tools/view.toml" && duplicate.line == 1 && duplicate.message.contains("already"))
    }

    @Test func pricesAndSkillsLoad() throws {
        let copy = try HarnessCopy()
        try copy.write("harness.toml", "[model]\nname = \"big\"\n\n[prices.big]\ninput_per_mtok = 3\noutput_per_mtok = 15\n")
        try copy.write("skills/git/README.md", "use git\n")
        let harness = try Harness.load(directory: copy.path)
        #expect(harness.price == ModelPrice(inputPerMTok: 3, outputPerMTok: 15))
        #expect(harness.skills["git/README.md"] == Array("use git\n".utf8))
    }

    @Test func commandLineOverridesTheEndpoint() throws {
        let harness = try Harness.load(directory: Self.seed)
        let options = AgentRegistry.Options(model: "other", kwargs: ["base_url": "http://127.0.0.1:9/v1", "provider": "anthropic"],
                                            env: ["OPENAI_API_KEY": "k"])
        let agent = try HarnessAgent.make(harness: harness, options: options, environment: [:])
        #expect(agent.endpoint.model == "other" && agent.endpoint.provider == .anthropic)
        #expect(agent.endpoint.baseURL == "http://127.0.0.1:9/v1" && agent.endpoint.apiKey == "k")
    }

    @Test func tolerantParserFindsCallsInProse() {
        let tools: Set<String> = ["bash"]
        let fenced = ActionParser.parseText("I'll run it:\n```json\n{\"tool\": \"bash\", \"args\": {\"command\": \"ls\",}}\n```", toolNames: tools, idPrefix: "c")
        #expect(fenced.calls.map(\.name) == ["bash"])
        #expect(fenced.calls.first?.arguments == #"{"command":"ls"}"#)
        let openAIShape = ActionParser.parseText(#"{"type":"function","function":{"name":"bash","arguments":"{\"command\":\"pwd\"}"}}"#, toolNames: tools, idPrefix: "c")
        #expect(openAIShape.calls.first?.arguments == #"{"command":"pwd"}"#)
        let finish = ActionParser.parseAction(#"{"thought":"done","action":"finish","arguments":{}}"#, toolNames: tools, idPrefix: "c")
        #expect(finish.finish && finish.calls.isEmpty)
        let unknown = ActionParser.parseText(#"{"action":"rm_everything","arguments":{}}"#, toolNames: tools, idPrefix: "c")
        #expect(unknown.calls.isEmpty && unknown.problem?.contains("bash") == true)
        let prose = ActionParser.parseText("All done, the file is written.", toolNames: tools, idPrefix: "c")
        #expect(prose.calls.isEmpty && !prose.finish && prose.problem != nil)
    }
}
