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

/// One run of the loop: the conversation, the counters, and the trajectory being built. The main agent's
/// loop may call subagents, each a loop of its own over the same sandbox.
private struct HarnessLoop {
    let agent: HarnessAgent
    let context: AgentContext
    let client: ModelClient
    let tools: ToolExecutor
    let system: String
    /// What the model may call: the loop's tools, then its subagents.
    let specs: [ModelToolSpec]
    let subagents: [HarnessSubagent]
    /// The subagent this loop runs and the caller's turn its trace events belong to; nil for the main agent.
    let subagent: (definition: HarnessSubagent, callerTurn: Int)?
    let budget: Harness.Budget
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
    /// The last reply's text: a subagent's answer.
    var finalText = ""
    var subagentTrajectories: [Trajectory] = []

    var harness: Harness { agent.harness }
    /// The step trace events are filed under: a subagent's belong to its caller's turn.
    var traceStep: Int { subagent?.callerTurn ?? turn }

    init(agent: HarnessAgent, context: AgentContext) {
        let harness = agent.harness
        var prompt = harness.systemPrompt
        if !harness.skills.isEmpty {
            prompt += "\n\nSkills (reference files) are in \(harness.agent.skillsPath): "
            prompt += harness.skills.keys.sorted().joined(separator: ", ")
        }
        self.init(agent: agent, context: context, client: ModelClient(endpoint: agent.endpoint, logger: context.logger), prompt: prompt,
                  tools: harness.tools, subagents: harness.subagents, subagent: nil, budget: harness.budget)
    }

    /// A subagent's loop with what is left of the caller's budget.
    init(subagent: HarnessSubagent, callerTurn: Int, caller: HarnessLoop) {
        var budget = caller.budget
        budget.turns = subagent.turns
        budget.tokens = caller.budget.tokens.map { max(0, $0 - caller.usage.inputTokens - caller.usage.outputTokens) }
        budget.dollars = caller.budget.dollars.map { max(0, $0 - caller.cost) }
        budget.wallSeconds = caller.budget.wallSeconds.map { max(0, $0 - Date().timeIntervalSince(caller.started)) }
        let tools = caller.harness.tools.filter { subagent.tools.contains($0.name) }
        self.init(agent: caller.agent, context: caller.context, client: caller.client, prompt: subagent.systemPrompt, tools: tools,
                  subagents: [], subagent: (subagent, callerTurn), budget: budget)
    }

    private init(agent: HarnessAgent, context: AgentContext, client: ModelClient, prompt: String, tools: [HarnessTool],
                 subagents: [HarnessSubagent], subagent: (definition: HarnessSubagent, callerTurn: Int)?, budget: Harness.Budget) {
        self.agent = agent
        self.context = context
        self.client = client
        self.tools = ToolExecutor(harness: agent.harness, tools: tools, session: context.session,
                                  outputPrefix: subagent.map { "\($0.definition.name)-\($0.callerTurn)-" } ?? "")
        self.subagents = subagents
        self.subagent = subagent
        self.budget = budget
        specs = tools.map(\.spec) + subagents.map(\.spec)
        system = agent.harness.agent.actionProtocol == .tools ? prompt : prompt + ActionParser.instructions(tools: specs)
        turnLimit = budget.turns
    }

    mutating func run() async throws -> AgentOutcome {
        try await copySkills()
        try await converse(context.instruction)
        return outcome()
    }

    /// Works on `task` until the model finishes or the budget ends.
    mutating func converse(_ task: String) async throws {
        messages.append(ModelMessage(role: .user, content: task))
        appendStep(source: "system", message: system)
        appendStep(source: "user", message: task)
        while true {
            if let exceeded = budgetExceeded() {
                stopReason = "budget_\(exceeded.category)"
                if let subagent, exceeded.category == "turns" {
                    context.trace.record(.observation, step: traceStep) {
                        $0.tool = subagent.definition.name
                        $0.message = "the \(subagent.definition.name) subagent used its \(Int(exceeded.limit)) turns"
                    }
                } else {
                    context.trace.record(.budget, step: traceStep) {
                        $0.category = exceeded.category
                        $0.limit = exceeded.limit
                        $0.used = exceeded.used
                        $0.message = "the \(exceeded.category) budget ended the run"
                    }
                }
                break
            }
            turn += 1
            let response: ModelResponse
            do { response = try await callModel() } catch let error as ModelError {
                context.trace.record(.error, step: traceStep) {
                    $0.category = "model_\(error.kind.rawValue)"
                    $0.message = String(error.description.prefix(2000))
                }
                stopReason = "model_error"
                errorMessage = error.description
                break
            }
            finalText = response.text
            let done = try await act(on: response)
            if subagent == nil { saveTrajectory() }
            if done { break }
        }
    }

    private func budgetExceeded() -> (category: String, limit: Double, used: Double)? {
        if turn >= turnLimit { return ("turns", Double(turnLimit), Double(turn)) }
        let tokens = usage.inputTokens + usage.outputTokens
        if let limit = budget.tokens, tokens >= limit { return ("tokens", Double(limit), Double(tokens)) }
        if let limit = budget.dollars, cost >= limit { return ("dollars", limit, cost) }
        let elapsed = Date().timeIntervalSince(started)
        if let limit = budget.wallSeconds, elapsed >= limit { return ("wall_time", limit, elapsed) }
        return nil
    }

    private mutating func callModel() async throws -> ModelResponse {
        let native = harness.agent.actionProtocol == .tools ? specs : []
        let schema = harness.agent.actionProtocol == .json && agent.endpoint.provider == .openai
            ? ActionParser.actionSchema(tools: specs) : nil
        let request = ModelRequest(system: system, messages: messages, tools: native, sampling: harness.sampling, responseSchema: schema)
        context.trace.record(.modelRequest, step: traceStep) {
            $0.model = agent.endpoint.model
            $0.messages = messages.count + 1
        }
        let response = try await client.complete(request)
        usage.inputTokens += response.usage.inputTokens
        usage.outputTokens += response.usage.outputTokens
        usage.cachedTokens += response.usage.cachedTokens
        if let c = response.costUSD { cost += c } else { priced = false }
        context.trace.record(.modelResponse, step: traceStep) {
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
        let names = Set(specs.map(\.name))
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
            context.trace.record(.toolCall, step: traceStep) {
                $0.tool = call.name
                $0.arguments = String(call.arguments.prefix(2000))
            }
            let result: ToolExecutor.Result
            var reference: [Trajectory.SubagentTrajectoryRef]?
            if let definition = subagents.first(where: { $0.name == call.name }) {
                (result, reference) = try await callSubagent(definition, call)
            } else {
                result = try await tools.run(call, turn: turn, index: index + 1)
            }
            context.trace.record(result.rejected ? .error : .observation, step: traceStep) {
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
            results.append(Trajectory.ObservationResult(sourceCallID: call.id, content: result.observation, subagentTrajectoryRef: reference))
            if native {
                messages.append(ModelMessage(role: .tool, content: result.observation, toolCallID: call.id))
            } else {
                observations.append("Observation of \(call.name) (\(call.id)):\n\(result.observation)")
            }
        }
        if let problem, calls.isEmpty, !finish {
            context.trace.record(.error, step: traceStep) {
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
        if calls.isEmpty, finish { return subagent == nil ? try await verifyFinish() : true }
        return false
    }

    /// Runs a subagent on the task the call gives; its answer is the observation and its spending is ours.
    private mutating func callSubagent(_ definition: HarnessSubagent, _ call: ModelToolCall) async throws
        -> (ToolExecutor.Result, [Trajectory.SubagentTrajectoryRef]?) {
        let arguments = (try? JSONValue.parse(Array((call.arguments.isEmpty ? "{}" : call.arguments).utf8)))?.objectValue
        guard let arguments, let task = arguments["task"]?.stringValue, !task.isEmpty else {
            return (ToolExecutor.Result(observation: "error: \(definition.name) needs the argument task (a string)", arguments: arguments ?? [:],
                                        rejected: true), nil)
        }
        var loop = HarnessLoop(subagent: definition, callerTurn: turn, caller: self)
        try await loop.converse(task)
        usage.inputTokens += loop.usage.inputTokens
        usage.outputTokens += loop.usage.outputTokens
        usage.cachedTokens += loop.usage.cachedTokens
        cost += loop.cost
        priced = priced && loop.priced
        let trajectoryID = "\(definition.name)-\(subagentTrajectories.count + 1)"
        var trajectory = loop.trajectory()
        trajectory.schemaVersion = "ATIF-v1.7"
        trajectory.trajectoryID = trajectoryID
        trajectory.agent.name = definition.name
        subagentTrajectories.append(trajectory)
        var answer = loop.finalText
        if loop.stopReason != "finished" { answer = "[the subagent stopped: \(loop.stopReason)]\n" + answer }
        return (ToolExecutor.Result(observation: answer, exitCode: loop.errorMessage == nil ? 0 : 1, arguments: arguments),
                [Trajectory.SubagentTrajectoryRef(trajectoryID: trajectoryID, sessionID: trajectory.sessionID)])
    }

    /// Runs the validators and grants the verification turns; true when the finish is accepted.
    private mutating func verifyFinish() async throws -> Bool {
        let verification = harness.verification
        if verification.turns == 0, verification.validators.isEmpty { return true }
        var failures: [String] = []
        for command in verification.validators {
            context.trace.record(.toolCall, step: traceStep) {
                $0.tool = "validator"
                $0.arguments = JSONValue.object(["command": .string(command)]).jsonText
            }
            let result = try await context.session.exec(command, timeoutSeconds: verification.timeoutSeconds)
            let output = String(decoding: result.stdout + result.stderr, as: UTF8.self)
            context.trace.record(.observation, step: traceStep) {
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
        let tools = specs.map { tool -> JSONValue in
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
        if !subagentTrajectories.isEmpty {
            trajectory.schemaVersion = "ATIF-v1.7"
            trajectory.subagentTrajectories = subagentTrajectories
        }
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
