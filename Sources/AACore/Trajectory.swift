/// An ATIF trajectory (Harbor's Agent Trajectory Interchange Format, v1.6 field names; v1.7 when it
/// embeds subagent trajectories), written to `agent/trajectory.json` for agents that take steps.
public struct Trajectory: Sendable, Codable, Equatable {
    public struct Agent: Sendable, Codable, Equatable {
        public var name: String
        public var version: String
        public var modelName: String?
        /// The tools the agent offered the model, as OpenAI function schemas (ATIF v1.5).
        public var toolDefinitions: [JSONValue]?
        enum CodingKeys: String, CodingKey { case name, version, modelName = "model_name", toolDefinitions = "tool_definitions" }
    }

    public struct ToolCall: Sendable, Codable, Equatable {
        public var toolCallID: String
        public var functionName: String
        public var arguments: [String: JSONValue]
        enum CodingKeys: String, CodingKey { case toolCallID = "tool_call_id", functionName = "function_name", arguments }
    }

    /// Points at a subagent's trajectory (ATIF v1.7).
    public struct SubagentTrajectoryRef: Sendable, Codable, Equatable {
        public var trajectoryID: String?
        public var sessionID: String?
        enum CodingKeys: String, CodingKey { case trajectoryID = "trajectory_id", sessionID = "session_id" }
    }

    public struct ObservationResult: Sendable, Codable, Equatable {
        public var sourceCallID: String?
        public var content: String?
        public var subagentTrajectoryRef: [SubagentTrajectoryRef]?
        enum CodingKeys: String, CodingKey {
            case sourceCallID = "source_call_id", content, subagentTrajectoryRef = "subagent_trajectory_ref"
        }

        public init(sourceCallID: String?, content: String?, subagentTrajectoryRef: [SubagentTrajectoryRef]? = nil) {
            self.sourceCallID = sourceCallID
            self.content = content
            self.subagentTrajectoryRef = subagentTrajectoryRef
        }
    }

    public struct Observation: Sendable, Codable, Equatable {
        public var results: [ObservationResult]
    }

    public struct Metrics: Sendable, Codable, Equatable {
        public var promptTokens: Int?
        public var completionTokens: Int?
        public var cachedTokens: Int?
        public var costUSD: Double?
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", cachedTokens = "cached_tokens", costUSD = "cost_usd"
        }
    }

    public struct Step: Sendable, Codable, Equatable {
        public var stepID: Int
        public var timestamp: String?
        /// "system", "user" or "agent".
        public var source: String
        public var modelName: String?
        public var message: String
        public var reasoningContent: String?
        public var toolCalls: [ToolCall]?
        public var observation: Observation?
        public var metrics: Metrics?
        enum CodingKeys: String, CodingKey {
            case stepID = "step_id", timestamp, source, modelName = "model_name", message
            case reasoningContent = "reasoning_content", toolCalls = "tool_calls", observation, metrics
        }

        public init(stepID: Int, timestamp: String?, source: String, message: String) {
            self.stepID = stepID
            self.timestamp = timestamp
            self.source = source
            self.message = message
        }
    }

    public struct FinalMetrics: Sendable, Codable, Equatable {
        public var totalPromptTokens: Int?
        public var totalCompletionTokens: Int?
        public var totalCachedTokens: Int?
        public var totalCostUSD: Double?
        public var totalSteps: Int?
        enum CodingKeys: String, CodingKey {
            case totalPromptTokens = "total_prompt_tokens", totalCompletionTokens = "total_completion_tokens"
            case totalCachedTokens = "total_cached_tokens", totalCostUSD = "total_cost_usd", totalSteps = "total_steps"
        }
    }

    public var schemaVersion = "ATIF-v1.6"
    public var sessionID: String
    /// Required on embedded subagent trajectories (ATIF v1.7).
    public var trajectoryID: String?
    public var agent: Agent
    public var steps: [Step]
    public var finalMetrics: FinalMetrics?
    /// Trajectories of the subagents this agent called (ATIF v1.7).
    public var subagentTrajectories: [Trajectory]?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", sessionID = "session_id", trajectoryID = "trajectory_id", agent, steps
        case finalMetrics = "final_metrics", subagentTrajectories = "subagent_trajectories"
    }

    public init(sessionID: String, agent: Agent, steps: [Step]) {
        self.sessionID = sessionID
        self.agent = agent
        self.steps = steps
        self.finalMetrics = FinalMetrics(totalSteps: steps.count)
    }
}
