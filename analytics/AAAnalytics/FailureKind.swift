/// The failure modes the detectors recognize, in priority order: when several fire on a trial,
/// the first one in this order is its primary signature.
public enum FailureKind: String, Sendable, Codable, CaseIterable, Comparable {
    case infrastructure
    case contextOverflow = "context_overflow"
    case verifierTimeout = "verifier_timeout"
    case toolMisuse = "tool_misuse"
    case loop
    case repeatedError = "repeated_error"
    case errorStreak = "error_streak"
    case noProgress = "no_progress"
    case agentTimeout = "agent_timeout"
    case budgetExhausted = "budget_exhausted"
    case wrongOutput = "wrong_output"
    case claimedSuccess = "claimed_success"
    case gaveUpEarly = "gave_up_early"
    case failedVerification = "failed_verification"

    public static func < (a: FailureKind, b: FailureKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// A short name for reports.
    public var title: String {
        switch self {
        case .infrastructure: "Environment or infrastructure error"
        case .contextOverflow: "Context overflow"
        case .verifierTimeout: "Verifier timeout"
        case .toolMisuse: "Tool misuse"
        case .loop: "Loop"
        case .repeatedError: "Same error repeated"
        case .errorStreak: "Error streak"
        case .noProgress: "No progress"
        case .agentTimeout: "Agent timeout"
        case .budgetExhausted: "Budget exhausted"
        case .wrongOutput: "Wrong output path or format"
        case .claimedSuccess: "Claimed success without a check"
        case .gaveUpEarly: "Gave up early"
        case .failedVerification: "Failed verification"
        }
    }

    /// One line on what the signature means.
    public var summary: String {
        switch self {
        case .infrastructure: "The sandbox, network, provider or harness failed, not the agent."
        case .contextOverflow: "The conversation outgrew the model's context window."
        case .verifierTimeout: "The verifier ran out of time, often because the agent left work running or slow."
        case .toolMisuse: "Calls to unknown tools, with bad arguments, or of commands that do not exist."
        case .loop: "The agent repeated the same action, or alternated between two, without effect."
        case .repeatedError: "The same error came back again and again."
        case .errorStreak: "Several actions in a row failed."
        case .noProgress: "The run kept going without trying anything new."
        case .agentTimeout: "The agent ran out of wall time."
        case .budgetExhausted: "The agent ran out of turns, tokens or dollars."
        case .wrongOutput: "The verifier could not find or parse the expected output."
        case .claimedSuccess: "The agent declared the task done without checking its result."
        case .gaveUpEarly: "The agent stopped with budget left and without verifying."
        case .failedVerification: "The run ended normally but the verifier's tests failed."
        }
    }

    /// The harness change this failure mode suggests.
    public var lever: String {
        switch self {
        case .infrastructure: "Fix the environment or retry infrastructure errors; do not count them against the harness."
        case .contextOverflow: "Truncate tool output, summarize history, or raise the output limits' strictness."
        case .verifierTimeout: "Tell the agent to stop background processes and keep the solution fast; check verifier timeouts."
        case .toolMisuse: "Clarify tool descriptions and argument schemas; list the commands available in the sandbox."
        case .loop: "Add loop detection to the harness and a prompt rule to change approach after a repeated result."
        case .repeatedError: "Surface the repeated error to the model with a hint to change strategy."
        case .errorStreak: "After consecutive failures, ask the model to re-plan before the next action."
        case .noProgress: "Add progress checkpoints or a re-planning turn when recent steps add nothing new."
        case .agentTimeout: "Give the agent its deadline and a time-aware plan; cap slow commands with timeouts."
        case .budgetExhausted: "Make the agent plan within its budget or raise the budget if program.md allows."
        case .wrongOutput: "Restate the required output path and format in the prompt and check it before finishing."
        case .claimedSuccess: "Require a verification turn (run the tests or inspect the output) before the agent may finish."
        case .gaveUpEarly: "Encourage persistence: forbid stopping while budget remains without verifying the result."
        case .failedVerification: "Read the failing tests' messages; add task-domain guidance or a self-check step."
        }
    }
}

/// One detector's finding on a trial: which failure mode, at which agent step, and the template
/// (of a command, an error or a verifier line) that characterizes it.
public struct Signature: Sendable, Codable, Equatable {
    public var kind: FailureKind
    public var step: Int?
    public var template: String?
    /// The steps-table row that shows it, for evidence.
    public var row: Int?

    public init(kind: FailureKind, step: Int? = nil, template: String? = nil, row: Int? = nil) {
        self.kind = kind
        self.step = step
        self.template = template
        self.row = row
    }
}
