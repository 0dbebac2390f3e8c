import AASandbox

/// How trials of a job run: Harbor's timeout multipliers and overrides, verifier environment, resources.
public struct TrialSettings: Sendable, Equatable, Codable {
    public var timeoutMultiplier: Double = 1
    public var agentTimeoutMultiplier: Double?
    public var verifierTimeoutMultiplier: Double?
    public var environmentBuildTimeoutMultiplier: Double?
    /// Replaces `[agent].timeout_sec`.
    public var agentTimeoutOverride: Double?
    /// Caps the agent timeout.
    public var maxAgentTimeout: Double?
    /// `--ve K=V`, added to `[verifier].env`.
    public var verifierEnv: [String: String] = [:]
    public var disableVerification = false
    public var overrideCPUs: Double?
    public var overrideMemoryMB: Int?
    public var overrideStorageMB: Int?
    /// Capabilities root keeps in trial sandboxes (none by default; Harbor's Docker containers keep
    /// Docker's default set). They act only inside the sandbox's own user namespace.
    public var capabilities: [SandboxSpec.Capability] = []

    public init() {}

    /// The agent's budget in seconds for a task, nil when it has none.
    public func agentTimeout(_ config: TaskConfig) -> Double? {
        guard var t = agentTimeoutOverride ?? config.agent.timeoutSec else { return nil }
        if let cap = maxAgentTimeout { t = min(t, cap) }
        return t * (agentTimeoutMultiplier ?? timeoutMultiplier)
    }

    public func verifierTimeout(_ config: TaskConfig) -> Double {
        config.verifier.timeoutSec * (verifierTimeoutMultiplier ?? timeoutMultiplier)
    }

    public var buildMultiplier: Double { environmentBuildTimeoutMultiplier ?? timeoutMultiplier }
}
