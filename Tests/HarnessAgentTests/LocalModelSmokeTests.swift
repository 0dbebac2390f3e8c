@testable import AACore
import Foundation
import Logging
import Testing

/// Against the real local model (scripts/local-model.sh start), when AA_LOCAL_MODEL_URL names it
/// (AA_LOCAL_MODEL_RESPONSE_FORMAT=json_object for llama-cpp-python's server):
/// the client works against a real server and the reply follows the JSON action schema. Asserts the
/// protocol, not the model's skill.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["AA_LOCAL_MODEL_URL"] != nil, "set AA_LOCAL_MODEL_URL to a running local model"))
struct LocalModelSmokeTests {
    @Test func jsonActionRoundTrip() async throws {
        let base = try #require(ProcessInfo.processInfo.environment["AA_LOCAL_MODEL_URL"])
        let client = ModelClient(endpoint: ModelEndpoint(provider: .openai, baseURL: base, model: "local", requestTimeoutSeconds: 120,
                                                         totalTimeoutSeconds: 240, retry: RetryPolicy(maxAttempts: 2),
                                                         responseFormat: ResponseFormatStyle(
                                                            rawValue: ProcessInfo.processInfo.environment["AA_LOCAL_MODEL_RESPONSE_FORMAT"] ?? "") ?? .jsonSchema),
                                 logger: Logger(label: "smoke"))
        let tools = [ModelClientTests.bash]
        let request = ModelRequest(system: "You work in a Linux shell." + ActionParser.instructions(tools: tools),
                                   messages: [ModelMessage(role: .user, content: "Create the file /tmp/x/hello.txt containing hi.")],
                                   sampling: ModelSampling(temperature: 0, maxTokens: 200),
                                   responseSchema: ActionParser.actionSchema(tools: tools))
        let response = try await client.complete(request)
        #expect(response.usage.inputTokens > 0 && response.usage.outputTokens > 0)
        #expect(["stop", "length"].contains(response.finishReason))
        let parsed = ActionParser.parseAction(response.text, toolNames: ["bash"], idPrefix: "c")
        #expect(parsed.problem == nil, "\(response.text)")
        #expect(!parsed.calls.isEmpty || parsed.finish)
    }
}
