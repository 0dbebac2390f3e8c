@testable import AACore
import Foundation
import Testing

/// ATIF's rules, each broken once, found at its path.
@Suite struct TrajectoryValidatorTests {
    static let valid = #"""
    {"schema_version": "ATIF-v1.7", "session_id": "s", "agent": {"name": "a", "version": "1", "model_name": "m"},
     "steps": [
       {"step_id": 1, "timestamp": "2026-11-27T14:00:00.000Z", "source": "user", "message": "Do it."},
       {"step_id": 2, "source": "agent", "message": "", "model_name": "m",
        "tool_calls": [{"tool_call_id": "c1", "function_name": "checker", "arguments": {"task": "look"}}],
        "observation": {"results": [{"source_call_id": "c1", "content": "fine",
                                     "subagent_trajectory_ref": [{"trajectory_id": "checker-1"}]}]},
        "metrics": {"prompt_tokens": 10, "completion_tokens": 2, "cost_usd": 0.001}},
       {"step_id": 3, "source": "agent", "message": [{"type": "text", "text": "Done."}]}],
     "final_metrics": {"total_prompt_tokens": 10, "total_steps": 3},
     "subagent_trajectories": [
       {"trajectory_id": "checker-1", "agent": {"name": "checker", "version": "1"},
        "steps": [{"step_id": 1, "source": "user", "message": "look"}]}]}
    """#

    func problems(_ text: String) throws -> [String] {
        TrajectoryValidator.problems(in: try JSONValue.parse(Array(text.utf8)))
    }

    @Test func aValidDocumentHasNoProblems() throws {
        #expect(try problems(Self.valid) == [])
    }

    @Test func eachBrokenRuleIsReportedAtItsPath() throws {
        let cases: [(String, String, String)] = [
            (#""model_name": "m"},"#, #""model_name": "m", "colour": "red"},"#, "agent.colour: unknown field"),
            (#"{"step_id": 3, "source": "agent""#, #"{"step_id": 4, "source": "agent""#, "steps[2].step_id: is 4, must be 3 (ids run 1, 2, 3, … in order)"),
            (#""source": "user", "message": "Do it.""#, #""source": "user", "message": "Do it.", "model_name": "m""#,
             "steps[0].model_name: only agent steps may have it"),
            (#"{"source_call_id": "c1", "content": "fine","#, #"{"source_call_id": "c9", "content": "fine","#,
             "steps[1].observation.results[0].source_call_id: \"c9\" is no tool_call_id of this step"),
            (#"[{"trajectory_id": "checker-1"}]"#, #"[{"session_id": "x"}]"#,
             "steps[1].observation.results[0].subagent_trajectory_ref[0]: needs trajectory_id or trajectory_path"),
            (#"{"trajectory_id": "checker-1", "agent""#, #"{"agent""#, "subagent_trajectories[0].trajectory_id: required string"),
            (#""2026-11-27T14:00:00.000Z""#, #""yesterday""#, "steps[0].timestamp: must be an ISO-8601 date-time"),
            (#""ATIF-v1.7", "session_id": "s","#, #""ATIF-v1.6","#, "session_id: required before ATIF-v1.7"),
            (#""source": "user", "message": "look""#, #""source": "tool", "message": "look""#,
             "subagent_trajectories[0].steps[0].source: must be \"system\", \"user\" or \"agent\""),
            (#"{"type": "text", "text": "Done."}"#, #"{"type": "text"}"#, "steps[2].message[0].text: required for a text part"),
            (#""total_steps": 3"#, #""total_steps": -1"#, "final_metrics.total_steps: must be an integer ≥ 0"),
        ]
        for (old, new, expected) in cases {
            #expect(Self.valid.contains(old), "the fixture no longer contains \(old)")
            let found = try problems(Self.valid.replacingOccurrences(of: old, with: new))
            #expect(found.contains(expected), "expected \(expected) in \(found)")
        }
    }

    @Test func embeddedTrajectoryIDsMustBeUnique() throws {
        let twice = Self.valid.replacingOccurrences(of: #""subagent_trajectories": ["#, with: #"""
            "subagent_trajectories": [{"trajectory_id": "checker-1", "agent": {"name": "c", "version": "1"},
                                       "steps": [{"step_id": 1, "source": "user", "message": "x"}]},
            """#)
        #expect(try problems(twice).contains("subagent_trajectories[1].trajectory_id: \"checker-1\" is not unique"))
    }

    @Test func whatThisProgramWritesIsValid() {
        var step = Trajectory.Step(stepID: 1, timestamp: ISOTime.string(Date()), source: "agent", message: "hi")
        step.toolCalls = [Trajectory.ToolCall(toolCallID: "c", functionName: "bash", arguments: [:])]
        step.observation = Trajectory.Observation(results: [Trajectory.ObservationResult(sourceCallID: "c", content: "ok")])
        let trajectory = Trajectory(sessionID: "s", agent: Trajectory.Agent(name: "harness", version: "1"), steps: [step])
        #expect(TrajectoryValidator.problems(in: trajectory) == [])
    }
}
