/// One trial as the analytics engine sees it, whatever it was imported from (our trace or Harbor's
/// ATIF trajectory and result files): the input row of the trials and steps tables.
public struct TrialRecord: Sendable, Equatable {
    /// One row of a trial's run: a tool call with its observation, a model message, or an error.
    public struct Step: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            case toolCall = "tool_call"
            case message
            case error
        }

        /// The agent step (turn) from 1; several rows may share one (parallel tool calls).
        public var index: Int
        public var kind: Kind
        public var tool: String?
        /// The command (or the call's arguments when there is no command), bounded.
        public var command: String?
        public var exitCode: Int?
        public var outputBytes: Int?
        /// A bounded excerpt of the output, or the model's text for a message, or the error message.
        public var output: String?
        /// The line that names the error, if the row failed or its output reports one.
        public var errorLine: String?
        /// The error's category (e.g. `unknown_tool`, `context_overflow`) for error rows.
        public var category: String?
        public var tokens: Int?
        public var latencySeconds: Double?
        public var timedOut: Bool

        public init(index: Int, kind: Kind) {
            self.index = index
            self.kind = kind
            self.timedOut = false
        }

        /// Whether the row failed: an error, a non-zero exit, a timeout, or an output that reports an error.
        public var failed: Bool {
            kind == .error || timedOut || (exitCode.map { $0 != 0 } ?? (errorLine != nil))
        }
    }

    /// The job folder (its name) the trial belongs to.
    public var job: String
    public var name: String
    public var task: String
    public var attempt: Int?
    public var agent: String?
    public var model: String?
    /// The verifier's reward; nil when there was none (an exception before verification).
    public var reward: Double?
    /// The exception type that ended the trial (Harbor's names, e.g. AgentTimeoutError).
    public var exception: String?
    public var exceptionMessage: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var costUSD: Double?
    public var durationSeconds: Double?
    /// The budget (turns, tokens, dollars, wall_time) the trial exhausted, if any.
    public var budgetExhausted: String?
    /// A bounded excerpt of the verifier's output (failure lines first).
    public var verifierOutput: String?
    /// The agent's last message, bounded.
    public var finalMessage: String?
    public var steps: [Step]
    /// The folder or file the trial was read from.
    public var source: String
    /// Problems met while reading (torn trace tail, corrupt frames, unreadable files).
    public var problems: [String]

    public init(job: String, name: String, task: String, source: String) {
        self.job = job
        self.name = name
        self.task = task
        self.source = source
        self.steps = []
        self.problems = []
    }

    /// A trial succeeded when its reward reached 1.
    public var succeeded: Bool { (reward ?? 0) >= 1 }
    /// The reward a failed trial lost (1 − reward, at least 0).
    public var rewardLost: Double { max(0, 1 - (reward ?? 0)) }
}
