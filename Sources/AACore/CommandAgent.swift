import AAAnalytics
import AASandbox
import Foundation

/// An external agent: any command run inside the trial's sandbox (a coding-agent CLI, a script on an
/// SDK). It reaches the model only through a `ModelGateway` on the sandbox's loopback, so every call is
/// traced, priced and budgeted, and the real API key never enters the sandbox. The instruction is in
/// `$AA_INSTRUCTION` and in the file `$AA_INSTRUCTION_FILE`.
public struct CommandAgent: TrialAgent {
    public let name = "command"
    public let version = AutoAgent.version
    public let needsSolution = false
    public let command: String
    public let endpoint: ModelEndpoint
    public let budget: ModelGateway.Budget
    public var modelName: String? { endpoint.model }

    /// Where the instruction file is written inside the sandbox.
    public static let instructionPath = "/tmp/aa/instruction.md"

    public init(command: String, endpoint: ModelEndpoint, budget: ModelGateway.Budget = .init()) {
        self.command = command
        self.endpoint = endpoint
        self.budget = budget
    }

    /// The agent from `--ak command=…` and the model options: a harness (`--harness`) supplies the model,
    /// budget and prices when given; `-m`, `--ak provider/base_url/api_key_env`, `--ak budget_tokens=N`,
    /// `--ak budget_dollars=X`, `--ak input_per_mtok=X` and `--ak output_per_mtok=X` override them.
    public static func make(options: AgentRegistry.Options, harness: Harness?,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(HarnessError) -> CommandAgent {
        guard let command = options.kwargs["command"], !command.isEmpty else {
            throw HarnessError(file: "--ak command", message: "the command agent needs --ak command='…' (run inside the sandbox)")
        }
        var base = harness ?? Harness(directory: "")
        if harness == nil, options.kwargs["api_key_env"] == nil {
            base.model.apiKeyEnv = options.kwargs["provider"] == ModelProvider.anthropic.rawValue ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"
        }
        var endpoint = try HarnessAgent.make(harness: base, options: options, environment: environment).endpoint
        if options.kwargs["base_url"] == nil, options.kwargs["provider"] == ModelProvider.anthropic.rawValue, harness == nil {
            endpoint.baseURL = "https://api.anthropic.com/v1"
        }
        func number(_ key: String) throws(HarnessError) -> Double? {
            guard let text = options.kwargs[key] else { return nil }
            guard let value = Double(text), value > 0 else { throw HarnessError(file: "--ak \(key)", message: "must be a positive number, not \"\(text)\"") }
            return value
        }
        if let input = try number("input_per_mtok"), let output = try number("output_per_mtok") {
            endpoint.price = ModelPrice(inputPerMTok: input, outputPerMTok: output)
        }
        var budget = ModelGateway.Budget(tokens: harness?.budget.tokens, dollars: harness?.budget.dollars)
        if let tokens = try number("budget_tokens") { budget.tokens = Int(tokens) }
        if let dollars = try number("budget_dollars") { budget.dollars = dollars }
        return CommandAgent(command: command, endpoint: endpoint, budget: budget)
    }

    public func run(_ context: AgentContext) async throws -> AgentOutcome {
        let gateway = ModelGateway(endpoint: endpoint, budget: budget, trace: context.trace, logger: context.logger)
        let listener: (fd: Int32, port: UInt16)
        do { listener = try context.session.sandbox.listenOnLoopback() } catch {
            throw TrialFailure(.agentError, "the model gateway could not listen in the sandbox: \(error)")
        }
        gateway.serve(listener: listener.fd)
        let started = Date()
        var environment = gateway.environment(port: listener.port)
        environment["AA_INSTRUCTION_FILE"] = Self.instructionPath
        environment["AA_INSTRUCTION"] = context.instruction
        let setup = try await context.session.exec("mkdir -p /tmp/aa && cat > \(shellQuote(Self.instructionPath))",
                                                   stdin: Array(context.instruction.utf8))
        if setup.shellStatus != 0 {
            context.trace.record(.error) {
                $0.category = "agent_setup"
                $0.message = "writing \(Self.instructionPath) failed: \(String(decoding: setup.stderr.prefix(500), as: UTF8.self))"
            }
        }
        context.trace.record(.toolCall, step: 1) {
            $0.tool = "command"
            $0.arguments = JSONValue.object(["command": .string(command)]).jsonText
        }
        let result: ExecResult
        do {
            result = try await context.session.exec("(\(command)) > /logs/agent/command.txt 2>&1", environment: environment,
                                                    timeoutSeconds: context.timeoutSeconds)
        } catch {
            gateway.stop()
            throw error
        }
        let totals = gateway.stop()
        let output = context.recordLoggedCommand(tool: "command", log: "command.txt", result: result)
        let trajectory = trajectory(instruction: context.instruction, started: started, calls: gateway.calls, output: output,
                                    exitCode: result.shellStatus, totals: totals)
        var metadata: [String: JSONValue] = [
            "command": .string(command), "gateway_calls": .int(totals.calls), "gateway_refused": .int(totals.refused),
            "provider": .string(endpoint.provider.rawValue),
        ]
        if result.timedOut { metadata["stop_reason"] = .string("timeout") }
        return AgentOutcome(exitCode: result.shellStatus, inputTokens: totals.usage.inputTokens, cacheTokens: totals.usage.cachedTokens,
                            outputTokens: totals.usage.outputTokens, costUSD: totals.priced ? totals.costUSD : nil,
                            metadata: metadata, trajectory: trajectory)
    }

    /// The run as ATIF: the instruction, one agent step per model call seen by the gateway, and the
    /// command's exit and output.
    private func trajectory(instruction: String, started: Date, calls: [ModelGateway.Call], output: String, exitCode: Int32,
                            totals: ModelGateway.Totals) -> Trajectory {
        var steps = [Trajectory.Step(stepID: 1, timestamp: ISOTime.string(started), source: "user", message: instruction)]
        for call in calls where call.status == 200 {
            let reply = call.response
            var step = Trajectory.Step(stepID: steps.count + 1, timestamp: call.timestamp, source: "agent", message: reply.text)
            step.modelName = endpoint.model
            step.metrics = Trajectory.Metrics(promptTokens: reply.usage.inputTokens, completionTokens: reply.usage.outputTokens,
                                              cachedTokens: reply.usage.cachedTokens, costUSD: reply.costUSD)
            if !reply.toolCalls.isEmpty {
                step.toolCalls = reply.toolCalls.map { tool in
                    let arguments = (try? JSONValue.parse(Array(tool.arguments.utf8)))?.objectValue ?? ["raw_arguments": .string(tool.arguments)]
                    return Trajectory.ToolCall(toolCallID: tool.id, functionName: tool.name, arguments: arguments)
                }
            }
            steps.append(step)
        }
        steps.append(Trajectory.Step(stepID: steps.count + 1, timestamp: ISOTime.string(Date()), source: "system",
                                     message: "The command exited with \(exitCode). Its output ends with:\n" + String(output.suffix(4000))))
        var trajectory = Trajectory(sessionID: UUID().uuidString.lowercased(),
                                    agent: Trajectory.Agent(name: name, version: version, modelName: endpoint.model), steps: steps)
        trajectory.finalMetrics = Trajectory.FinalMetrics(
            totalPromptTokens: totals.usage.inputTokens, totalCompletionTokens: totals.usage.outputTokens,
            totalCachedTokens: totals.usage.cachedTokens, totalCostUSD: totals.priced ? totals.costUSD : nil, totalSteps: steps.count)
        return trajectory
    }
}
