/// Harbor's `nop`: does nothing. A task that `nop` passes does not test anything.
public struct NopAgent: TrialAgent {
    public let name = "nop"
    public let version = AutoAgent.version
    public let modelName: String? = nil
    public let needsSolution = false

    public init() {}

    public func run(_ context: AgentContext) async throws -> AgentOutcome { AgentOutcome(exitCode: 0) }
}
