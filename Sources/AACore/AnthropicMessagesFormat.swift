/// Anthropic Messages.
struct AnthropicMessagesFormat: ModelWireFormat {
    func url(baseURL: String) -> String { trimmedBase(baseURL) + "/messages" }

    func headers(apiKey: String?) -> [String] {
        var lines = ["Content-Type: application/json", "anthropic-version: 2023-06-01"]
        if let apiKey, !apiKey.isEmpty { lines.append("x-api-key: \(apiKey)") }
        return lines
    }

    func body(_ request: ModelRequest, model: String) -> JSONValue {
        // Tool results travel in user turns; consecutive user-side messages merge into one turn.
        var turns: [(role: String, blocks: [JSONValue])] = []
        func append(_ role: String, _ block: JSONValue) {
            if let last = turns.last, last.role == role { turns[turns.count - 1].blocks.append(block) }
            else { turns.append((role, [block])) }
        }
        for message in request.messages {
            switch message.role {
            case .user:
                append("user", .object(["type": .string("text"), "text": .string(message.content)]))
            case .tool:
                append("user", .object(["type": .string("tool_result"), "tool_use_id": .string(message.toolCallID ?? ""),
                                        "content": .string(message.content)]))
            case .assistant:
                if !message.content.isEmpty { append("assistant", .object(["type": .string("text"), "text": .string(message.content)])) }
                for call in message.toolCalls {
                    let input = (try? JSONValue.parse(Array(call.arguments.utf8)))?.objectValue ?? [:]
                    append("assistant", .object(["type": .string("tool_use"), "id": .string(call.id), "name": .string(call.name),
                                                 "input": .object(input)]))
                }
            }
        }
        var body: [String: JSONValue] = [
            "model": .string(model), "max_tokens": .int(request.sampling.maxTokens),
            "messages": .array(turns.map { .object(["role": .string($0.role), "content": .array($0.blocks)]) }),
        ]
        if !request.system.isEmpty { body["system"] = .string(request.system) }
        if let t = request.sampling.temperature { body["temperature"] = .double(t) }
        if let p = request.sampling.topP { body["top_p"] = .double(p) }
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map { tool in
                .object(["name": .string(tool.name), "description": .string(tool.description), "input_schema": tool.parameters])
            })
        }
        return .object(body)
    }

    func decode(_ reply: JSONValue) throws(WireFormatError) -> DecodedReply {
        if reply["type"]?.stringValue == "error" { throw WireFormatError("the provider returned an error: \(reply.jsonText.prefix(500))") }
        guard let blocks = reply["content"]?.arrayValue else { throw WireFormatError("the reply has no content array") }
        var text = ""
        var calls: [ModelToolCall] = []
        for (i, block) in blocks.enumerated() {
            switch block["type"]?.stringValue {
            case "text": text += block["text"]?.stringValue ?? ""
            case "tool_use":
                guard let name = block["name"]?.stringValue else { throw WireFormatError("content[\(i)] tool_use has no name") }
                calls.append(ModelToolCall(id: block["id"]?.stringValue ?? "toolu_\(i + 1)", name: name,
                                           arguments: (block["input"] ?? .object([:])).jsonText))
            default: continue
            }
        }
        let finish: String
        switch reply["stop_reason"]?.stringValue {
        case "end_turn"?, "stop_sequence"?: finish = "stop"
        case "tool_use"?: finish = "tool_calls"
        case "max_tokens"?: finish = "length"
        case let other?: finish = other
        case nil: finish = "unknown"
        }
        let usage = reply["usage"]
        func count(_ key: String) -> Int { usage?[key]?.number.map { Int($0) } ?? 0 }
        let cached = count("cache_read_input_tokens")
        return DecodedReply(text: text, toolCalls: calls, finishReason: finish,
                            usage: ModelUsage(inputTokens: count("input_tokens") + cached + count("cache_creation_input_tokens"),
                                              outputTokens: count("output_tokens"), cachedTokens: cached))
    }
}
