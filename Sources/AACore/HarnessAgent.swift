import AASandbox
import AAAnalytics
import Foundation
import Logging

/// The fixed agent loop that runs a `Harness`: model call → tool calls in the sandbox → observations,
/// until the model finishes or a budget ends. Every step goes to the trace and to an ATIF trajectory.
public struct HarnessAgent: TrialAgent {
    public let name = "harness"
    public let version = AutoAgent.version
    public let needsSolution = false
    public let harness: Harness
    public let endpoint: ModelEndpoint
    public var modelName: String? { endpoint.model }

    public init(harness: Harness, endpoint: ModelEndpoint) {
        self.harness = harness
        self.endpoint = endpoint
    }

    /// The harness's endpoint with the command line's overrides (`-m`, `--ak base_url=…`, `--ak provider=…`,
    /// `--ak response_format=…`, `--ak api_key_env=…`) and the API key from the environment.
    public static func make(harness: Harness, options: AgentRegistry.Options,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(HarnessError) -> HarnessAgent {
        var model = harness.model
        if let name = options.model { model.name = name }
        if let provider = options.kwargs["provider"] {
            guard let p = ModelProvider(rawValue: provider) else {
                throw HarnessError(file: "--ak provider", message: "must be one of \(ModelProvider.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            model.provider = p
        }
        if let base = options.kwargs["base_url"] { model.baseURL = base }
        if let keyEnv = options.kwargs["api_key_env"] { model.apiKeyEnv = keyEnv }
        if let style = options.kwargs["response_format"] {
            guard let s = ResponseFormatStyle(rawValue: style) else {
                throw HarnessError(file: "--ak response_format", message: "must be one of \(ResponseFormatStyle.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            model.responseFormat = s
        }
        let key = model.apiKeyEnv.flatMap { options.env[$0] ?? environment[$0] }
        let endpoint = ModelEndpoint(
            provider: model.provider, baseURL: model.baseURL, model: model.name, apiKey: key,
            requestTimeoutSeconds: model.requestTimeoutSeconds, totalTimeoutSeconds: model.totalTimeoutSeconds,
            retry: RetryPolicy(maxAttempts: model.maxAttempts), maxConcurrent: model.maxConcurrent, price: harness.prices[model.name],
            responseFormat: model.responseFormat)
        return HarnessAgent(harness: harness, endpoint: endpoint)
    }

    public func run(_ context: AgentContext) async throws -> AgentOutcome {
        var loop = HarnessLoop(agent: self, context: context)
        return try await loop.run()
    }
}

/// One run of the loop: the conversation, the counters, and the trajectory being built.
private struct HarnessLoop {
    let agent: HarnessAgent
    let context: AgentContext
    let client: ModelClient
    let tools: ToolExecutor
    let system: String
    let started = Date()
    let sessionID = UUID().uuidString.lowercased()

    var messages: [ModelMessage] = []
    var steps: [Trajectory.Step] = []
    var usage = ModelUsage()
    var cost = 0.0
    var priced = true
    var turn = 0
    var turnLimit: Int
    var verificationStarted = false
    var stopReason = "finished"
    var errorMessage: String?

    var harness: Harness { agent.harness }

    init(agent: HarnessAgent, context: AgentContext) {
        self.agent = agent
        self.context = context
        client = ModelClient(endpoint: agent.endpoint, logger: context.logger)
        tools = ToolExecutor(harness: agent.harness, session: context.session)
        var system = agent.harness.systemPrompt
        if !agent.harness.skills.isEmpty {
            system += "\n\nSkills (reference files) are in \(agent.harness.agent.skillsPath): "
            system += agent.harness.skills.keys.sorted().joined(separator: ", ")
        }
        if agent.harness.agent.actionProtocol != .tools {
            system += ActionParser.instructions(tools: agent.harness.tools.map(\.spec))
        }
        self.system = system
        turnLimit = agent.harness.budget.turns
    }

    mutating func run() async throws -> AgentOutcome {
        try await copySkills()
        messages.append(ModelMessage(role: .user, content: context.instruction))
        appendStep(source: "system", message: system)
        appendStep(source: "user", message: context.instruction)
        while true {
            if let exceeded = budgetExceeded() {
                stopReason = "budget_\(exceeded.category)"
                context.trace.record(.budget, step: turn) {
                    $0.category = exceeded.category
                    $0.limit = exceeded.limit
                    $0.used = exceeded.used
                    $0.message = "the \(exceeded.category) budget ended the run"
                }
                break
            }
            turn += 1
            let response: ModelResponse
            do { response = try await callModel() } catch let error as ModelError {
                context.trace.record(.error, step: turn) {
                    $0.category = "model_\(error.kind.rawValue)"
                    $0.message = String(error.description.prefix(2000))
                }
                stopReason = "model_error"
                errorMessage = error.description
                break
            }
            let done = try await act(on: response)
            saveTrajectory()
            if done { break }
        }
        return outcome()
    }

    private func budgetExceeded() -> (category: String, limit: Double, used: Double)? {
        if turn >= turnLimit { return ("turns", Double(turnLimit), Double(turn)) }
        let tokens = usage.inputTokens + usage.outputTokens
        if let limit = harness.budget.tokens, tokens >= limit { return ("tokens", Double(limit), Double(tokens)) }
        if let limit = harness.budget.dollars, cost >= limit { return ("dollars", limit, cost) }
        let elapsed = Date().timeIntervalSince(started)
        if let limit = harness.budget.wallSeconds, elapsed >= limit { return ("wall_time", limit, elapsed) }
        return nil
    }

    private mutating func callModel() async throws -> ModelResponse {
        let specs = harness.agent.actionProtocol == .tools ? harness.tools.map(\.spec) : []
        let schema = harness.agent.actionProtocol == .json && agent.endpoint.provider == .openai
            ? ActionParser.actionSchema(tools: harness.tools.map(\.spec)) : nil
        let request = ModelRequest(system: system, messages: messages, tools: specs, sampling: harness.sampling, responseSchema: schema)
        context.trace.record(.modelRequest, step: turn) {
            $0.model = agent.endpoint.model
            $0.messages = messages.count + 1
        }
        let response = try await client.complete(request)
        usage.inputTokens += response.usage.inputTokens
        usage.outputTokens += response.usage.outputTokens
        usage.cachedTokens += response.usage.cachedTokens
        if let c = response.costUSD { cost += c } else { priced = false }
        context.trace.record(.modelResponse, step: turn) {
            $0.model = agent.endpoint.model
            $0.promptTokens = response.usage.inputTokens
            $0.completionTokens = response.usage.outputTokens
            $0.latencySeconds = response.latencySeconds
            $0.finishReason = response.finishReason
            $0.costUSD = response.costUSD
            $0.text = String(response.text.prefix(2000))
        }
        return response
    }

    /// Runs what the reply asks for; true when the run is over.
    private mutating func act(on response: ModelResponse) async throws -> Bool {
        var calls = response.toolCalls
        let native = !calls.isEmpty
        var finish = false
        var problem: String?
        let names = Set(harness.tools.map(\.name))
        switch harness.agent.actionProtocol {
        case .tools:
            if !native {
                let parsed = ActionParser.parseText(response.text, toolNames: names, idPrefix: "call_\(turn)")
                calls = parsed.calls
                finish = calls.isEmpty
            }
        case .json, .text:
            let parsed = harness.agent.actionProtocol == .json
                ? ActionParser.parseAction(response.text, toolNames: names, idPrefix: "call_\(turn)")
                : ActionParser.parseText(response.text, toolNames: names, idPrefix: "call_\(turn)")
            calls = parsed.calls
            finish = parsed.finish && calls.isEmpty
            problem = parsed.problem
        }
        messages.append(ModelMessage(role: .assistant, content: response.text, toolCalls: native ? calls : []))
        var step = Trajectory.Step(stepID: steps.count + 1, timestamp: ISOTime.string(Date()), source: "agent", message: response.text)
        step.modelName = agent.endpoint.model
        step.metrics = Trajectory.Metrics(promptTokens: response.usage.inputTokens, completionTokens: response.usage.outputTokens,
                                          cachedTokens: response.usage.cachedTokens, costUSD: response.costUSD)
        var results: [Trajectory.ObservationResult] = []
        var observations: [String] = []
        for (index, call) in calls.enumerated() {
            context.trace.record(.toolCall, step: turn) {
                $0.tool = call.name
                $0.arguments = String(call.arguments.prefix(2000))
            }
            let result = try await tools.run(call, turn: turn, index: index + 1)
            context.trace.record(result.rejected ? .error : .observation, step: turn) {
                $0.tool = call.name
                if result.rejected { $0.category = "invalid_tool_call"; $0.message = result.observation }
                $0.exitCode = result.exitCode
                $0.stdoutBytes = result.outputBytes
                $0.excerpt = String(result.observation.suffix(2000))
                $0.timedOut = result.timedOut
            }
            var arguments = result.arguments
            if arguments.isEmpty, call.arguments != "{}", (try? JSONValue.parse(Array(call.arguments.utf8)))?.objectValue == nil {
                arguments = ["raw_arguments": .string(call.arguments)]
            }
            step.toolCalls = (step.toolCalls ?? []) + [Trajectory.ToolCall(toolCallID: call.id, functionName: call.name, arguments: arguments)]
            results.append(Trajectory.ObservationResult(sourceCallID: call.id, content: result.observation))
            if native {
                messages.append(ModelMessage(role: .tool, content: result.observation, toolCallID: call.id))
            } else {
                observations.append("Observation of \(call.name) (\(call.id)):\n\(result.observation)")
            }
        }
        if let problem, calls.isEmpty, !finish {
            context.trace.record(.error, step: turn) {
                $0.category = "unparsable_action"
                $0.message = problem
                $0.text = String(response.text.prefix(2000))
            }
            results.append(Trajectory.ObservationResult(sourceCallID: nil, content: problem))
            observations.append(problem)
        }
        if !observations.isEmpty { messages.append(ModelMessage(role: .user, content: observations.joined(separator: "\n\n"))) }
        if !results.isEmpty { step.observation = Trajectory.Observation(results: results) }
        steps.append(step)
        if calls.isEmpty, finish { return try await verifyFinish() }
        return false
    }

    /// Runs the validators and grants the verification turns; true when the finish is accepted.
    private mutating func verifyFinish() async throws -> Bool {
        let verification = harness.verification
        if verification.turns == 0, verification.validators.isEmpty { return true }
        var failures: [String] = []
        for command in verification.validators {
            context.trace.record(.toolCall, step: turn) {
                $0.tool = "validator"
                $0.arguments = JSONValue.object(["command": .string(command)]).jsonText
            }
            let result = try await context.session.exec(command, timeoutSeconds: verification.timeoutSeconds)
            let output = String(decoding: result.stdout + result.stderr, as: UTF8.self)
            context.trace.record(.observation, step: turn) {
                $0.tool = "validator"
                $0.exitCode = Int(result.shellStatus)
                $0.excerpt = String(output.suffix(2000))
                $0.timedOut = result.timedOut
            }
            if result.shellStatus != 0 {
                failures.append("`\(command)` failed with exit code \(result.shellStatus):\n\(output.suffix(harness.agent.maxOutputBytes / 2))")
            }
        }
        let firstFinish = !verificationStarted
        if !verificationStarted {
            verificationStarted = true
            turnLimit += verification.turns
        }
        if failures.isEmpty, !(firstFinish && verification.validators.isEmpty) { return true }
        guard turn < turnLimit else {
            stopReason = "verification_failed"
            return true
        }
        let message = failures.isEmpty
            ? "Before you finish, check that your work meets every requirement of the task; fix what does not, then reply without a tool call."
            : "Your work does not pass these checks yet:\n\n" + failures.joined(separator: "\n\n") + "\n\nFix it, then reply without a tool call."
        messages.append(ModelMessage(role: .user, content: message))
        appendStep(source: "user", message: message)
        return false
    }

    private func copySkills() async throws {
        for (relative, bytes) in harness.skills.sorted(by: { $0.key < $1.key }) {
            let path = harness.agent.skillsPath + "/" + relative
            let directory = (path as NSString).deletingLastPathComponent
            let result = try await context.session.exec("mkdir -p \(shellQuote(directory)) && cat > \(shellQuote(path))", stdin: bytes)
            if result.shellStatus != 0 {
                context.trace.record(.error) {
                    $0.category = "skills"
                    $0.message = "copying skills/\(relative) to \(path) failed: \(String(decoding: result.stderr.prefix(500), as: UTF8.self))"
                }
            }
        }
    }

    private mutating func appendStep(source: String, message: String) {
        steps.append(Trajectory.Step(stepID: steps.count + 1, timestamp: ISOTime.string(Date()), source: source, message: message))
    }

    private func trajectory() -> Trajectory {
        let tools = harness.tools.map { tool -> JSONValue in
            .object(["type": .string("function"), "function": .object([
                "name": .string(tool.name), "description": .string(tool.description), "parameters": tool.parameters,
            ])])
        }
        var trajectory = Trajectory(sessionID: sessionID,
                                    agent: Trajectory.Agent(name: agent.name, version: agent.version, modelName: agent.endpoint.model,
                                                            toolDefinitions: tools),
                                    steps: steps)
        trajectory.finalMetrics = Trajectory.FinalMetrics(
            totalPromptTokens: usage.inputTokens, totalCompletionTokens: usage.outputTokens, totalCachedTokens: usage.cachedTokens,
            totalCostUSD: priced ? cost : nil, totalSteps: steps.count)
        return trajectory
    }

    /// Written after every turn, so a run the runner stops still leaves its trajectory.
    private func saveTrajectory() {
        try? JSONFile.write(trajectory(), to: context.logsDirectory + "/trajectory.json")
    }

    private func outcome() -> AgentOutcome {
        var metadata: [String: JSONValue] = ["stop_reason": .string(stopReason), "turns": .int(turn),
                                             "harness": .string(harness.directory), "provider": .string(agent.endpoint.provider.rawValue)]
        if let errorMessage { metadata["error"] = .string(errorMessage) }
        return AgentOutcome(exitCode: errorMessage == nil ? 0 : 1, inputTokens: usage.inputTokens, cacheTokens: usage.cachedTokens,
                            outputTokens: usage.outputTokens, costUSD: priced ? cost : nil, metadata: metadata, trajectory: trajectory())
    }
}
