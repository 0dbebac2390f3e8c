import AACore
import Foundation
import Logging
import TestSupport
import Testing

/// The libcurl model clients against the scripted server: both providers, retries, timeouts, caps.
@Suite struct ModelClientTests {
    static let bash = ModelToolSpec(name: "bash", description: "Run a command.", parameters: .object([
        "type": .string("object"), "properties": .object(["command": .object(["type": .string("string")])]),
        "required": .array([.string("command")]),
    ]))

    func client(_ server: ScriptedModelServer, provider: ModelProvider = .openai, attempts: Int = 4, requestTimeout: Double = 10,
                maxConcurrent: Int = 16, price: ModelPrice? = nil) -> ModelClient {
        ModelClient(endpoint: ModelEndpoint(provider: provider, baseURL: server.baseURL, model: "m", apiKey: "sk-test",
                                            requestTimeoutSeconds: requestTimeout, totalTimeoutSeconds: 30,
                                            retry: RetryPolicy(maxAttempts: attempts, baseDelaySeconds: 0.05, maxDelaySeconds: 5),
                                            maxConcurrent: maxConcurrent, price: price),
                    logger: Logger(label: "test"))
    }

    func request() -> ModelRequest {
        ModelRequest(system: "Be brief.", messages: [
            ModelMessage(role: .user, content: "List files."),
            ModelMessage(role: .assistant, content: "", toolCalls: [ModelToolCall(id: "c1", name: "bash", arguments: #"{"command":"ls"}"#)]),
            ModelMessage(role: .tool, content: "a.txt", toolCallID: "c1"),
        ], tools: [Self.bash], sampling: ModelSampling(temperature: 0.5, maxTokens: 100))
    }

    @Test func openAIToolCallUsageAndCost() async throws {
        let server = try ScriptedModelServer([ScriptedReplies.openAIToolCall("bash", arguments: #"{"command":"cat a.txt"}"#)])
        defer { server.stop() }
        let price = ModelPrice(inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3)
        let response = try await client(server, price: price).complete(request())
        #expect(response.toolCalls == [ModelToolCall(id: "call_a", name: "bash", arguments: #"{"command":"cat a.txt"}"#)])
        #expect(response.finishReason == "tool_calls")
        #expect(response.usage == ModelUsage(inputTokens: 100, outputTokens: 20, cachedTokens: 40))
        let expected: Double = (60.0 * 3.0 + 40.0 * 0.3 + 20.0 * 15.0) / 1_000_000.0
        #expect(abs((response.costUSD ?? 0) - expected) < 1e-12)
        #expect(response.attempts == 1)
        let sent = try #require(server.received.first)
        #expect(sent.path == "/v1/chat/completions")
        #expect(sent.headers["authorization"] == "Bearer sk-test")
        let body = try #require(sent.json)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "tool"])
        #expect(messages[3]["tool_call_id"] as? String == "c1")
        #expect(((body["tools"] as? [[String: Any]])?.first?["function"] as? [String: Any])?["name"] as? String == "bash")
        #expect(body["temperature"] as? Double == 0.5)
    }

    @Test func responseSchemaStyles() async throws {
        let server = try ScriptedModelServer([ScriptedReplies.openAIText("{}")])
        defer { server.stop() }
        let schema = JSONValue.object(["type": .string("object")])
        for style in ResponseFormatStyle.allCases {
            let client = ModelClient(endpoint: ModelEndpoint(provider: .openai, baseURL: server.baseURL, model: "m", responseFormat: style),
                                     logger: Logger(label: "test"))
            _ = try await client.complete(ModelRequest(system: "", messages: [ModelMessage(role: .user, content: "hi")], responseSchema: schema))
        }
        let formats = server.received.map { $0.json?["response_format"] as? [String: Any] }
        #expect(formats.count == 2)
        #expect(formats[0]?["type"] as? String == "json_schema" && (formats[0]?["json_schema"] as? [String: Any])?["schema"] != nil)
        #expect(formats[1]?["type"] as? String == "json_object" && formats[1]?["schema"] != nil)
    }

    @Test func anthropicToolUseAndMergedToolResults() async throws {
        let server = try ScriptedModelServer([ScriptedReplies.anthropicToolUse("bash", input: #"{"command":"ls -l"}"#)])
        defer { server.stop() }
        let response = try await client(server, provider: .anthropic).complete(request())
        #expect(response.text == "Let me look.")
        #expect(response.toolCalls == [ModelToolCall(id: "toolu_1", name: "bash", arguments: #"{"command":"ls -l"}"#)])
        #expect(response.finishReason == "tool_calls")
        #expect(response.usage == ModelUsage(inputTokens: 80, outputTokens: 15, cachedTokens: 30))
        #expect(response.costUSD == nil)
        let sent = try #require(server.received.first)
        #expect(sent.path == "/v1/messages")
        #expect(sent.headers["x-api-key"] == "sk-test")
        #expect(sent.headers["anthropic-version"] != nil)
        let body = try #require(sent.json)
        #expect(body["system"] as? String == "Be brief.")
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "user"])
        let result = (messages[2]["content"] as? [[String: Any]])?.first
        #expect(result?["type"] as? String == "tool_result")
        #expect(result?["tool_use_id"] as? String == "c1")
        #expect(((body["tools"] as? [[String: Any]])?.first?["input_schema"]) != nil)
    }

    @Test func honoursRetryAfterOn429() async throws {
        let server = try ScriptedModelServer([
            .json(#"{"error":{"message":"slow down"}}"#, status: 429, headers: ["Retry-After": "1"]),
            ScriptedReplies.openAIText("done"),
        ])
        defer { server.stop() }
        let start = Date()
        let response = try await client(server).complete(request())
        #expect(response.text == "done")
        #expect(response.attempts == 2)
        #expect(Date().timeIntervalSince(start) >= 0.9, "the client waited less than Retry-After")
    }

    @Test func retriesServerErrorsAndCutConnections() async throws {
        var cut = ScriptedReplies.openAIText("never seen")
        cut.cut = true
        let server = try ScriptedModelServer([
            .json(#"{"error":"boom"}"#, status: 500), cut, .json("overloaded", status: 529), ScriptedReplies.openAIText("ok"),
        ])
        defer { server.stop() }
        let response = try await client(server, attempts: 5).complete(request())
        #expect(response.text == "ok")
        #expect(response.attempts == 4)
        #expect(server.received.count == 4)
    }

    @Test func malformedRepliesFailAfterTheRetries() async throws {
        let server = try ScriptedModelServer([.json(#"{"choices": [ {"message": "#)])
        defer { server.stop() }
        await #expect {
            _ = try await client(server, attempts: 3).complete(request())
        } throws: { error in
            guard let error = error as? ModelError else { return false }
            return error.kind == .malformedResponse && error.attempts == 3
        }
        #expect(server.received.count == 3)
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let server = try ScriptedModelServer([.json(#"{"error":{"message":"bad model"}}"#, status: 400)])
        defer { server.stop() }
        await #expect {
            _ = try await client(server).complete(request())
        } throws: { error in
            guard let error = error as? ModelError else { return false }
            return error.kind == .http && error.status == 400 && error.attempts == 1
        }
        #expect(server.received.count == 1)
    }

    @Test func slowRepliesHitTheRequestTimeout() async throws {
        let server = try ScriptedModelServer([.json("{}", delay: 3)])
        defer { server.stop() }
        await #expect {
            _ = try await client(server, attempts: 1, requestTimeout: 0.5).complete(request())
        } throws: { error in
            (error as? ModelError)?.kind == .timeout
        }
    }

    @Test func connectionRefusedIsATransportError() async throws {
        let server = try ScriptedModelServer([ScriptedReplies.openAIText("x")])
        server.stop()
        await #expect {
            _ = try await client(server, attempts: 2).complete(request())
        } throws: { error in
            (error as? ModelError)?.kind == .transport
        }
    }

    @Test func cancellingTheTaskEndsTheTransfer() async throws {
        let server = try ScriptedModelServer([.json("{}", delay: 5)])
        defer { server.stop() }
        let client = client(server, attempts: 1)
        let request = request()
        let call = Task { try await client.complete(request) }
        try await Task.sleep(for: .milliseconds(200))
        let start = Date()
        call.cancel()
        await #expect(throws: CancellationError.self) { _ = try await call.value }
        #expect(Date().timeIntervalSince(start) < 2, "the transfer went on after the task was cancelled")
    }

    @Test func concurrencyCapHoldsAcrossCalls() async throws {
        let server = try ScriptedModelServer([.json(ScriptedReplies.openAIText("ok").body, delay: 0.2)])
        defer { server.stop() }
        let client = client(server, maxConcurrent: 2)
        let request = request()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await client.complete(request) } }
            try await group.waitForAll()
        }
        #expect(server.received.count == 6)
        #expect(server.maxInFlight <= 2)
        #expect(server.maxInFlight >= 1)
    }

    @Test func retryAfterAcceptsSecondsAndDates() {
        let policy = RetryPolicy(maxAttempts: 3, baseDelaySeconds: 1, maxDelaySeconds: 8)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 3) == 3)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 30) == 8)
        let backoff = policy.delay(afterAttempt: 3, retryAfter: nil)
        #expect(backoff >= 2 && backoff <= 4)
    }
}
