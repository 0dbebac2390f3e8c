/// One thing that happened in a trial, as recorded in its trace. Flat on purpose: every kind uses
/// the fields that apply to it and leaves the rest nil, so tables load events in one pass.
public struct TraceEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case trialStart = "trial_start"
        case trialEnd = "trial_end"
        case modelRequest = "model_request"
        case modelResponse = "model_response"
        case toolCall = "tool_call"
        case observation
        case error
        case budget
        case reward
    }

    public var kind: Kind
    /// Seconds since the Unix epoch.
    public var time: Double
    /// The agent step (turn) the event belongs to, from 1.
    public var step: Int?

    // trial_start / trial_end
    public var task: String?
    public var trial: String?
    public var agent: String?
    public var model: String?
    public var attempt: Int?
    /// Harbor's exception type when the trial failed (e.g. AgentTimeoutError).
    public var exception: String?
    public var durationSeconds: Double?

    // model_request / model_response
    public var messages: Int?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var latencySeconds: Double?
    public var finishReason: String?
    public var costUSD: Double?
    /// A bounded excerpt of the model's text.
    public var text: String?

    // tool_call / observation
    public var tool: String?
    /// The call's arguments as JSON text (bounded).
    public var arguments: String?
    public var exitCode: Int?
    public var stdoutBytes: Int?
    public var stderrBytes: Int?
    /// A bounded excerpt of stdout and stderr.
    public var excerpt: String?
    public var timedOut: Bool?

    // error / budget
    /// What kind of error or which budget (turns, tokens, dollars, wall_time).
    public var category: String?
    public var message: String?
    public var limit: Double?
    public var used: Double?

    // reward
    public var reward: Double?

    public init(_ kind: Kind, time: Double, step: Int? = nil) {
        self.kind = kind
        self.time = time
        self.step = step
    }
}
