import AACore
import AASandbox
import ArgumentParser

/// The options that shape every trial (timeouts, resources, verifier environment, capabilities), shared by
/// `aa run` and `aa optimize`.
struct TrialOptions: ParsableArguments {
    @Option(name: .customLong("timeout-multiplier"), help: "Multiplies every timeout.")
    var timeoutMultiplier = 1.0

    @Option(name: .customLong("agent-timeout-multiplier"), help: "Multiplies the agent timeout (instead of --timeout-multiplier).")
    var agentTimeoutMultiplier: Double?

    @Option(name: .customLong("verifier-timeout-multiplier"), help: "Multiplies the verifier timeout (instead of --timeout-multiplier).")
    var verifierTimeoutMultiplier: Double?

    @Option(name: .customLong("environment-build-timeout-multiplier"), help: "Multiplies the build timeout (instead of --timeout-multiplier).")
    var environmentBuildTimeoutMultiplier: Double?

    @Option(name: .customLong("override-timeout-sec"), help: "Agent timeout in seconds instead of the task's.")
    var overrideTimeout: Double?

    @Option(name: .customLong("max-timeout-sec"), help: "Cap on the agent timeout in seconds.")
    var maxTimeout: Double?

    @Option(name: .customLong("override-cpus"), help: "CPUs per trial instead of the task's.")
    var overrideCPUs: Double?

    @Option(name: .customLong("override-memory-mb"), help: "Memory per trial (MB) instead of the task's.")
    var overrideMemoryMB: Int?

    @Option(name: .customLong("override-storage-mb"), help: "Writable disk per trial (MB) instead of the task's.")
    var overrideStorageMB: Int?

    @Option(name: .customLong("cap-add"), help: ArgumentHelp(
        "A capability root keeps in trial sandboxes (CHOWN, SETUID …, or 'docker' for Docker's default set, as Harbor's containers have); none by default.",
        valueName: "name"))
    var capAdd: [String] = []

    @Option(name: [.customLong("ve"), .customLong("verifier-env")], help: "Verifier environment variable K=V (repeatable).")
    var verifierEnv: [String] = []

    func validate() throws {
        guard timeoutMultiplier > 0 else { throw ValidationError("--timeout-multiplier must be positive") }
    }

    /// The trial settings these options give.
    func settings() throws -> TrialSettings {
        var settings = TrialSettings()
        settings.timeoutMultiplier = timeoutMultiplier
        settings.agentTimeoutMultiplier = agentTimeoutMultiplier
        settings.verifierTimeoutMultiplier = verifierTimeoutMultiplier
        settings.environmentBuildTimeoutMultiplier = environmentBuildTimeoutMultiplier
        settings.agentTimeoutOverride = overrideTimeout
        settings.maxAgentTimeout = maxTimeout
        settings.overrideCPUs = overrideCPUs
        settings.overrideMemoryMB = overrideMemoryMB
        settings.overrideStorageMB = overrideStorageMB
        do throws(SandboxError) {
            settings.capabilities = try SandboxSpec.Capability.parse(capAdd, option: "--cap-add")
        } catch {
            throw ValidationError("\(error.step): \(error.detail)")
        }
        settings.verifierEnv = try keyValues(verifierEnv, option: "--ve")
        return settings
    }
}
