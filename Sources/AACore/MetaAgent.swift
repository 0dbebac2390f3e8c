import Foundation
import Logging

/// The built-in meta-agent: a model with the `MetaAgentTools`, told by program.md, that edits the
/// harness work tree and submits one proposal. Speaks the provider's native tool calls or, for
/// small local models, the JSON action protocol (`--mk action_protocol=json` or `text`).
public struct MetaAgent: Sendable {
    public let endpoint: ModelEndpoint
    public let actionProtocol: Harness.ActionProtocol
    public let sampling: ModelSampling
    public let maxTurns: Int

    /// What one proposal cost and produced.
    public struct Outcome: Sendable {
        /// Nil when the agent ended without submitting.
        public var proposal: Proposal?
        public var usage: ModelUsage
        public var costUSD: Double
        public var trajectory: Trajectory
        public var stopReason: String
    }

    public struct SettingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The meta-agent for `settings`, reaching its model like the task agent (the starting
    /// harness's `[model]` with the overrides) and with its own sampling and turn limit.
    public static func make(settings: MetaAgentSettings, harness: Harness,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MetaAgent {
        var kwargs = settings.kwargs
        let own = ["action_protocol", "max_turns", "temperature", "max_tokens"]
        var local: [String: String] = [:]
        for key in own { local[key] = kwargs.removeValue(forKey: key) }
        let known: Set<String> = ["provider", "base_url", "api_key_env", "response_format"]
        if let unknown = kwargs.keys.sorted().first(where: { !known.contains($0) }) {
            throw SettingError(description: "--mk \(unknown): unknown key (known: \((known.sorted() + own.sorted()).joined(separator: ", ")))")
        }
        let endpoint = try HarnessAgent.make(harness: harness, options: AgentRegistry.Options(model: settings.model, kwargs: kwargs),
                                             environment: environment).endpoint
        var proto = Harness.ActionProtocol.tools
        if let value = local["action_protocol"] {
            guard let p = Harness.ActionProtocol(rawValue: value) else {
                throw SettingError(description: "--mk action_protocol must be one of \(Harness.ActionProtocol.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            proto = p
        }
        var sampling = ModelSampling(temperature: 0.3, maxTokens: 4096)
        if let t = local["temperature"] {
            guard let v = Double(t) else { throw SettingError(description: "--mk temperature must be a number") }
            sampling.temperature = v
        }
        if let t = local["max_tokens"] {
            guard let v = Int(t), v > 0 else { throw SettingError(description: "--mk max_tokens must be a positive integer") }
            sampling.maxTokens = v
        }
        var turns = 24
        if let t = local["max_turns"] {
            guard let v = Int(t), v > 0 else { throw SettingError(description: "--mk max_turns must be a positive integer") }
            turns = v
        }
        return MetaAgent(endpoint: endpoint, actionProtocol: proto, sampling: sampling, maxTurns: turns)
    }

    /// The action protocol's `finish` ends the meta-agent's work the way `submit` does, so it is read
    /// as a submission with the arguments it carries.
    static func finishAsSubmit(_ text: String, id: String) -> ModelToolCall {
        for candidate in ActionParser.jsonObjects(in: text) {
            guard let object = (try? JSONValue.parse(Array(candidate.utf8)))?.objectValue,
                  object["action"]?.stringValue == ActionParser.finishAction else { continue }
            return ModelToolCall(id: id, name: MetaAgentTools.submitName, arguments: (object["arguments"] ?? .object([:])).jsonText)
        }
        return ModelToolCall(id: id, name: MetaAgentTools.submitName, arguments: "{}")
    }

    /// Works on one proposal: `briefing` is the first message (program.md goes in the system prompt).
    public func propose(program: String, briefing: String, tools: MetaAgentTools, logger: Logger) async -> Outcome {
        let client = ModelClient(endpoint: endpoint, logger: logger)
        let specs = MetaAgentTools.specs
        let names = Set(specs.map(\.name))
        var system = "You are the meta-agent of AutoAgent. Follow these standing instructions.\n\n" + program
        system += "\n\nWork only through the tools. Make one general edit to the harness, then call \(MetaAgentTools.submitName)."
        if actionProtocol != .tools { system += ActionParser.instructions(tools: specs) }
        var messages = [ModelMessage(role: .user, content: briefing)]
        var steps = [Trajectory.Step(stepID: 1, timestamp: ISOTime.string(Date()), source: "system", message: system),
                     Trajectory.Step(stepID: 2, timestamp: ISOTime.string(Date()), source: "user", message: briefing)]
        var usage = ModelUsage()
        var cost = 0.0
        var proposal: Proposal?
        var stopReason = "max_turns"
        var idle = 0
        turns: for turn in 1...maxTurns {
            let schema = actionProtocol == .json && endpoint.provider == .openai ? ActionParser.actionSchema(tools: specs) : nil
            let request = ModelRequest(system: system, messages: messages, tools: actionProtocol == .tools ? specs : [],
                                       sampling: sampling, responseSchema: schema)
            let response: ModelResponse
            do { response = try await client.complete(request) } catch {
                stopReason = "model_error: \(error)"
                steps.append(Trajectory.Step(stepID: steps.count + 1, timestamp: ISOTime.string(Date()), source: "system",
                                             message: "model error: \(error)"))
                break
            }
            usage.inputTokens += response.usage.inputTokens
            usage.outputTokens += response.usage.outputTokens
            usage.cachedTokens += response.usage.cachedTokens
            cost += response.costUSD ?? 0
            var calls = response.toolCalls
            let native = !calls.isEmpty
            if !native {
                let parsed = actionProtocol == .json
                    ? ActionParser.parseAction(response.text, toolNames: names, idPrefix: "meta_\(turn)")
                    : ActionParser.parseText(response.text, toolNames: names, idPrefix: "meta_\(turn)")
                calls = parsed.calls
                if calls.isEmpty, parsed.finish { calls = [Self.finishAsSubmit(response.text, id: "meta_\(turn)")] }
            }
            messages.append(ModelMessage(role: .assistant, content: response.text, toolCalls: native ? calls : []))
            var step = Trajectory.Step(stepID: steps.count + 1, timestamp: ISOTime.string(Date()), source: "agent", message: response.text)
            step.modelName = endpoint.model
            step.metrics = Trajectory.Metrics(promptTokens: response.usage.inputTokens, completionTokens: response.usage.outputTokens,
                                              cachedTokens: response.usage.cachedTokens, costUSD: response.costUSD)
            var results: [Trajectory.ObservationResult] = []
            var observations: [String] = []
            for call in calls {
                let arguments = (try? JSONValue.parse(Array(call.arguments.utf8)))?.objectValue ?? [:]
                step.toolCalls = (step.toolCalls ?? []) + [Trajectory.ToolCall(toolCallID: call.id, functionName: call.name, arguments: arguments)]
                let observation: String
                if call.name == MetaAgentTools.submitName {
                    let description = arguments["description"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    if description.isEmpty {
                        observation = "error: submit needs a one-line description and a hypothesis, e.g. "
                            + #"{"action": "submit", "arguments": {"description": "…", "hypothesis": "…"}}"#
                    } else if await !tools.hasEdits() {
                        observation = "error: the harness is unchanged; edit a file (write_file or patch_file) before you submit"
                    } else {
                        proposal = Proposal(description: description, hypothesis: arguments["hypothesis"]?.stringValue ?? "")
                        observation = "submitted"
                    }
                } else {
                    observation = await tools.run(call.name, arguments: arguments)
                }
                results.append(Trajectory.ObservationResult(sourceCallID: call.id, content: observation))
                if native {
                    messages.append(ModelMessage(role: .tool, content: observation, toolCallID: call.id))
                } else {
                    observations.append("Observation of \(call.name):\n\(observation)")
                }
                if proposal != nil { break }
            }
            if calls.isEmpty {
                idle += 1
                let nudge = "No tool call found. Use the tools to edit the harness, then call \(MetaAgentTools.submitName)."
                observations.append(nudge)
                results.append(Trajectory.ObservationResult(sourceCallID: nil, content: nudge))
            } else {
                idle = 0
            }
            if !results.isEmpty { step.observation = Trajectory.Observation(results: results) }
            steps.append(step)
            if proposal != nil {
                stopReason = "submitted"
                break turns
            }
            if idle >= 3 {
                stopReason = "no_tool_calls"
                break turns
            }
            if !observations.isEmpty { messages.append(ModelMessage(role: .user, content: observations.joined(separator: "\n\n"))) }
        }
        var trajectory = Trajectory(sessionID: UUID().uuidString.lowercased(),
                                    agent: Trajectory.Agent(name: "aa-meta-agent", version: AutoAgent.version, modelName: endpoint.model,
                                                            toolDefinitions: specs.map { spec in
                                                                .object(["type": .string("function"), "function": .object([
                                                                    "name": .string(spec.name), "description": .string(spec.description),
                                                                    "parameters": spec.parameters,
                                                                ])])
                                                            }),
                                    steps: steps)
        trajectory.finalMetrics = Trajectory.FinalMetrics(totalPromptTokens: usage.inputTokens, totalCompletionTokens: usage.outputTokens,
                                                          totalCachedTokens: usage.cachedTokens, totalCostUSD: cost, totalSteps: steps.count)
        return Outcome(proposal: proposal, usage: usage, costUSD: cost, trajectory: trajectory, stopReason: stopReason)
    }
}
