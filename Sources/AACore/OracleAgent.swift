import AAAnalytics
import AASandbox
import Foundation

/// Harbor's `oracle`: runs the task's reference solution, `(/solution/solve.sh) > /logs/agent/oracle.txt 2>&1`,
/// with `DEBIAN_FRONTEND=noninteractive` and `[solution].env`. A task whose oracle does not score 1 is broken.
public struct OracleAgent: TrialAgent {
    public let name = "oracle"
    public let version = AutoAgent.version
    public let modelName: String? = nil
    public let needsSolution = true
    let env: [String: String]

    public init(env: [String: String] = [:]) { self.env = env }

    public func run(_ context: AgentContext) async throws -> AgentOutcome {
        guard context.task.hasSolution else {
            throw TrialFailure(.agentError, "the task has no solution/solve.sh for the oracle to run")
        }
        var environment = ["DEBIAN_FRONTEND": "noninteractive"]
        for (k, v) in try EnvTemplate.expand(context.task.config.solution.env, field: "solution.env", task: context.task.name) {
            environment[k] = v
        }
        for (k, v) in env { environment[k] = v }
        let command = "(/solution/solve.sh) > /logs/agent/oracle.txt 2>&1"
        let started = Date()
        context.trace.record(.toolCall, step: 1) {
            $0.tool = "bash"
            $0.arguments = #"{"command":"/solution/solve.sh"}"#
        }
        let result = try await context.session.exec(command, environment: environment)
        let output = context.recordLoggedCommand(tool: "bash", log: "oracle.txt", result: result)
        if result.shellStatus != 0 {
            try? "\(result.shellStatus)\n".write(toFile: context.logsDirectory + "/exit-code.txt", atomically: true, encoding: .utf8)
        }
        var step = Trajectory.Step(stepID: 1, timestamp: ISOTime.string(started), source: "agent", message: "Run the reference solution")
        step.toolCalls = [Trajectory.ToolCall(toolCallID: "call_1", functionName: "bash", arguments: ["command": .string("/solution/solve.sh")])]
        step.observation = Trajectory.Observation(results: [
            Trajectory.ObservationResult(sourceCallID: "call_1", content: String(output.suffix(16_000)))
        ])
        let trajectory = Trajectory(
            sessionID: UUID().uuidString.lowercased(),
            agent: Trajectory.Agent(name: name, version: version, modelName: nil), steps: [step])
        return AgentOutcome(exitCode: result.shellStatus, trajectory: trajectory)
    }
}
