/// A tool the model may call: a name, a description and a JSON-schema for its arguments.
public struct ModelToolSpec: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// A tool call as the model wrote it; `arguments` is the raw JSON text, which may be invalid.
public struct ModelToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// One message of a conversation, provider-neutral.
public struct ModelMessage: Sendable, Equatable {
    public enum Role: String, Sendable { case user, assistant, tool }
    public var role: Role
    public var content: String
    /// Calls the assistant made (assistant messages).
    public var toolCalls: [ModelToolCall]
    /// The call a tool message answers.
    public var toolCallID: String?

    public init(role: Role, content: String, toolCalls: [ModelToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }
}

/// Sampling settings of a call.
public struct ModelSampling: Sendable, Equatable {
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int

    public init(temperature: Double? = nil, topP: Double? = nil, maxTokens: Int = 4096) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
    }
}

/// What to ask the model.
public struct ModelRequest: Sendable {
    public var system: String
    public var messages: [ModelMessage]
    public var tools: [ModelToolSpec]
    public var sampling: ModelSampling
    /// A JSON schema the reply must follow (OpenAI `response_format`); nil: free text.
    public var responseSchema: JSONValue?

    public init(system: String, messages: [ModelMessage], tools: [ModelToolSpec] = [], sampling: ModelSampling = ModelSampling(),
                responseSchema: JSONValue? = nil) {
        self.system = system
        self.messages = messages
        self.tools = tools
        self.sampling = sampling
        self.responseSchema = responseSchema
    }
}

/// Tokens a call used.
public struct ModelUsage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    /// Input tokens served from the provider's cache (included in `inputTokens`).
    public var cachedTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cachedTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedTokens = cachedTokens
    }
}

/// The model's reply.
public struct ModelResponse: Sendable {
    public var text: String
    public var toolCalls: [ModelToolCall]
    /// The provider's reason, normalised: "stop", "tool_calls", "length" or the provider's own word.
    public var finishReason: String
    public var usage: ModelUsage
    /// From the price table; nil when the model has no price.
    public var costUSD: Double?
    public var latencySeconds: Double
    /// HTTP attempts it took (1 without retries).
    public var attempts: Int
}
