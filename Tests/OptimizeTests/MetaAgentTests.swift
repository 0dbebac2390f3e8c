import AACore
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// The meta-agent against a scripted model on loopback, with both action protocols; no sandbox.
@Suite struct MetaAgentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    final class Workspace {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meta-\(UUID().uuidString)").path
        init() throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: MetaAgentTests.root + "/examples/harness", toPath: path + "/harness")
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func tools(spotChecked: SpotLog) -> MetaAgentTools {
            MetaAgentTools(harnessDirectory: path + "/harness", searchTasks: ["alpha-task", "beta-task"], failureReport: "# report\n3 failed",
                           searchJobDirectory: nil, learningsPath: path + "/learnings.md") { tasks in
                spotChecked.add(tasks)
                return tasks.map { "\($0): reward 1.00" }.joined(separator: "\n")
            }
        }
    }

    final class SpotLog: Sendable {
        private let calls = Mutex<[[String]]>([])
        func add(_ tasks: [String]) { calls.withLock { $0.append(tasks) } }
        var all: [[String]] { calls.withLock { $0 } }
    }

    func agent(_ server: ScriptedModelServer, kwargs: [String: String]) throws -> MetaAgent {
        var all = kwargs
        all["base_url"] = server.baseURL
        return try MetaAgent.make(settings: MetaAgentSettings(model: "scripted-meta", kwargs: all),
                                  harness: try Harness.load(directory: Self.root + "/examples/harness"))
    }

    @Test func jsonActionProtocolEditsAndSubmits() async throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIText(#"{"thought": "look", "action": "read_report", "arguments": {}}"#),
            ScriptedReplies.openAIText(#"{"action": "spot_check", "arguments": {"tasks": ["alpha-task", "secret-validation-task"]}}"#),
            ScriptedReplies.openAIText(#"{"action": "write_file", "arguments": {"path": "skills/checklist.md", "content": "Verify outputs.\n"}}"#),
            ScriptedReplies.openAIText(#"{"action": "spot_check", "arguments": {"tasks": ["alpha-task"]}}"#),
            ScriptedReplies.openAIText(#"{"action": "write_learnings", "arguments": {"text": "checklists help"}}"#),
            ScriptedReplies.openAIText(#"{"action": "submit", "arguments": {"description": "Add a checklist skill", "hypothesis": "Runs skip verification."}}"#),
        ])
        defer { server.stop() }
        let workspace = try Workspace()
        let spots = SpotLog()
        let meta = try agent(server, kwargs: ["action_protocol": "json"])
        let outcome = await meta.propose(program: "PROGRAM", briefing: "BRIEFING", tools: workspace.tools(spotChecked: spots),
                                         logger: Logger(label: "test"))
        #expect(outcome.proposal == Proposal(description: "Add a checklist skill", hypothesis: "Runs skip verification."))
        #expect(outcome.stopReason == "submitted")
        #expect(try String(contentsOfFile: workspace.path + "/harness/skills/checklist.md", encoding: .utf8) == "Verify outputs.\n")
        #expect(try String(contentsOfFile: workspace.path + "/learnings.md", encoding: .utf8) == "checklists help")
        // The held-out name was refused before anything ran; the search task ran.
        #expect(spots.all == [["alpha-task"]])
        let bodies = server.received.compactMap(\.json)
        #expect(bodies.count == 6)
        #expect(bodies[0]["tools"] == nil && bodies[0]["response_format"] != nil)
        let system = ((bodies[0]["messages"] as? [[String: Any]])?.first?["content"] as? String) ?? ""
        #expect(system.contains("PROGRAM") && system.contains("submit"))
        let third = (bodies[2]["messages"] as? [[String: Any]])?.last?["content"] as? String ?? ""
        #expect(third.contains("not search tasks: secret-validation-task"))
        #expect(outcome.usage.inputTokens == 6 * 120)
        #expect(outcome.trajectory.steps.filter { $0.source == "agent" }.count == 6)
        #expect(TrajectoryValidator.problems(in: outcome.trajectory) == [])
    }

    @Test func nativeToolCallsAndPathsOutsideTheHarness() async throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIToolCall("write_file", arguments: #"{"path": "../escape.md", "content": "x"}"#, id: "c1"),
            ScriptedReplies.openAIToolCall("patch_file", arguments: #"{"path": "system.md", "old_text": "reply without a tool call.", "new_text": "reply without a tool call. Test your result first."}"#, id: "c2"),
            ScriptedReplies.openAIToolCall("submit", arguments: #"{"description": "Test before finishing", "hypothesis": "h"}"#, id: "c3"),
        ])
        defer { server.stop() }
        let workspace = try Workspace()
        let meta = try agent(server, kwargs: [:])
        let outcome = await meta.propose(program: "P", briefing: "B", tools: workspace.tools(spotChecked: SpotLog()), logger: Logger(label: "test"))
        #expect(outcome.proposal?.description == "Test before finishing")
        #expect(TrajectoryValidator.problems(in: outcome.trajectory) == [])
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/escape.md"))
        let system = try String(contentsOfFile: workspace.path + "/harness/system.md", encoding: .utf8)
        #expect(system.contains("Test your result first."))
        let second = try #require(server.received[1].json?["messages"] as? [[String: Any]])
        #expect((second.last?["content"] as? String)?.contains("leaves the harness") == true)
        #expect(server.received[0].json?["tools"] != nil)
    }

    @Test func finishActionCountsAsSubmit() async throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIText(#"{"action": "finish", "arguments": {}}"#),
            ScriptedReplies.openAIText(#"{"action": "finish", "arguments": {"description": "Nothing to change", "hypothesis": "h"}}"#),
        ])
        defer { server.stop() }
        let workspace = try Workspace()
        let meta = try agent(server, kwargs: ["action_protocol": "json"])
        let outcome = await meta.propose(program: "P", briefing: "B", tools: workspace.tools(spotChecked: SpotLog()), logger: Logger(label: "test"))
        #expect(outcome.proposal == Proposal(description: "Nothing to change", hypothesis: "h"))
        let second = try #require(server.received[1].json?["messages"] as? [[String: Any]])
        #expect((second.last?["content"] as? String)?.contains("submit needs a one-line description") == true)
    }

    @Test func submitWithoutAnEditIsRefused() async throws {
        let server = try ScriptedModelServer([
            ScriptedReplies.openAIToolCall("submit", arguments: #"{"description": "Nothing", "hypothesis": "h"}"#, id: "c1"),
            ScriptedReplies.openAIToolCall("write_file", arguments: #"{"path": "skills/a.md", "content": "a"}"#, id: "c2"),
            ScriptedReplies.openAIToolCall("submit", arguments: #"{"description": "A skill", "hypothesis": "h"}"#, id: "c3"),
        ])
        defer { server.stop() }
        let workspace = try Workspace()
        let path = workspace.path + "/harness/skills/a.md"
        let tools = MetaAgentTools(harnessDirectory: workspace.path + "/harness", searchTasks: [], failureReport: "", searchJobDirectory: nil,
                                   learningsPath: workspace.path + "/learnings.md", spotCheck: { _ in "" },
                                   hasEdits: { FileManager.default.fileExists(atPath: path) })
        let outcome = await (try agent(server, kwargs: [:])).propose(program: "P", briefing: "B", tools: tools, logger: Logger(label: "test"))
        #expect(outcome.proposal?.description == "A skill")
        let second = try #require(server.received[1].json?["messages"] as? [[String: Any]])
        #expect((second.last?["content"] as? String)?.contains("the harness is unchanged") == true)
    }

    @Test func unknownMetaKeyIsAnError() throws {
        #expect { try MetaAgent.make(settings: MetaAgentSettings(kwargs: ["temprature": "1"]),
                                     harness: try Harness.load(directory: Self.root + "/examples/harness")) } throws: {
            "\($0)".contains("temprature")
        }
    }
}
