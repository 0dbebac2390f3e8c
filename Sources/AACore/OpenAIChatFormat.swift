/// OpenAI-compatible Chat Completions (OpenAI, vLLM, llama.cpp server, Ollama, OpenRouter).
struct OpenAIChatFormat: ModelWireFormat {
    var responseFormat = ResponseFormatStyle.jsonSchema

    func url(baseURL: String) -> String { trimmedBase(baseURL) + "/chat/completions" }

    func headers(apiKey: String?) -> [String] {
        var lines = ["Content-Type: application/json"]
        if let apiKey, !apiKey.isEmpty { lines.append("Authorization: Bearer \(apiKey)") }
        return lines
    }

    func body(_ request: ModelRequest, model: String) -> JSONValue {
        var messages: [JSONValue] = []
        if !request.system.isEmpty { messages.append(.object(["role": .string("system"), "content": .string(request.system)])) }
        for message in request.messages {
            switch message.role {
            case .user:
                messages.append(.object(["role": .string("user"), "content": .string(message.content)]))
            case .assistant:
                var object: [String: JSONValue] = ["role": .string("assistant"), "content": message.content.isEmpty ? .null : .string(message.content)]
                if !message.toolCalls.isEmpty {
                    object["tool_calls"] = .array(message.toolCalls.map { call in
                        .object(["id": .string(call.id), "type": .string("function"),
                                 "function": .object(["name": .string(call.name), "arguments": .string(call.arguments)])])
                    })
                }
                messages.append(.object(object))
            case .tool:
                messages.append(.object(["role": .string("tool"), "tool_call_id": .string(message.toolCallID ?? ""),
                                         "content": .string(message.content)]))
            }
        }
        var body: [String: JSONValue] = ["model": .string(model), "messages": .array(messages),
                                         "max_tokens": .int(request.sampling.maxTokens)]
        if let t = request.sampling.temperature { body["temperature"] = .double(t) }
        if let p = request.sampling.topP { body["top_p"] = .double(p) }
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map { tool in
                .object(["type": .string("function"), "function": .object([
                    "name": .string(tool.name), "description": .string(tool.description), "parameters": tool.parameters,
                ])])
            })
        }
        if let schema = request.responseSchema {
            switch responseFormat {
            case .jsonSchema:
                body["response_format"] = .object(["type": .string("json_schema"),
                                                   "json_schema": .object(["name": .string("action"), "schema": schema])])
            case .jsonObject:
                body["response_format"] = .object(["type": .string("json_object"), "schema": schema])
            }
        }
        return .object(body)
    }

    func decode(_ reply: JSONValue) throws(WireFormatError) -> DecodedReply {
        if let error = reply["error"] { throw WireFormatError("the provider returned an error: \(error.jsonText.prefix(500))") }
        guard let choice = reply["choices"]?.arrayValue?.first, let message = choice["message"] else {
            throw WireFormatError("the reply has no choices[0].message")
        }
        var calls: [ModelToolCall] = []
        for (i, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let function = call["function"], let name = function["name"]?.stringValue else {
                throw WireFormatError("tool_calls[\(i)] has no function.name")
            }
            let arguments: String
            switch function["arguments"] {
            case .string(let s)?: arguments = s
            case let value?: arguments = value.jsonText
            case nil: arguments = "{}"
            }
            calls.append(ModelToolCall(id: call["id"]?.stringValue ?? "call_\(i + 1)", name: name, arguments: arguments))
        }
        let usage = reply["usage"]
        return DecodedReply(
            text: message["content"]?.stringValue ?? "",
            toolCalls: calls,
            finishReason: choice["finish_reason"]?.stringValue ?? "unknown",
            usage: ModelUsage(inputTokens: usage?["prompt_tokens"]?.number.map { Int($0) } ?? 0,
                              outputTokens: usage?["completion_tokens"]?.number.map { Int($0) } ?? 0,
                              cachedTokens: usage?["prompt_tokens_details"]?["cached_tokens"]?.number.map { Int($0) } ?? 0))
    }
}
