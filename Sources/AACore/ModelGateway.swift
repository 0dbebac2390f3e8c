import AAAnalytics
import AASandbox
import Foundation
import Glibc
import Logging
import Synchronization

/// The model endpoint an external agent command sees inside its sandbox: an HTTP server on the
/// sandbox's loopback that speaks the provider's API (OpenAI Chat Completions or Anthropic Messages),
/// checks a per-trial token, forwards each call to the real provider with the real key (which never
/// enters the sandbox), pins the model, enforces the trial's token and dollar budget, and records every
/// call to the trial's trace.
public final class ModelGateway: Sendable {
    /// Limits on what the command may spend; nil: no limit.
    public struct Budget: Sendable, Equatable {
        public var tokens: Int?
        public var dollars: Double?
        public init(tokens: Int? = nil, dollars: Double? = nil) {
            self.tokens = tokens
            self.dollars = dollars
        }
    }

    /// One forwarded call: when, the provider's HTTP status, and the reply as read (empty unless 200).
    public struct Call: Sendable {
        public var timestamp: String
        public var status: Int
        public var response: ModelResponse
    }

    /// What the command spent through the gateway.
    public struct Totals: Sendable {
        public var calls = 0
        public var usage = ModelUsage()
        public var costUSD = 0.0
        /// False when some call had no price.
        public var priced = true
        /// Calls refused (bad token, budget, unknown route).
        public var refused = 0
    }

    private struct State {
        var totals = Totals()
        var calls: [Call] = []
        var connections: Set<Int32> = []
        var listener: Int32 = -1
        var stopped = false
    }

    /// The token the command must present (`Authorization: Bearer …` or `x-api-key: …`).
    public let token: String
    public let endpoint: ModelEndpoint
    public let budget: Budget
    private let trace: TraceRecorder?
    private let loop: CurlLoop
    private let logger: Logger
    private let format: any ModelWireFormat
    private let gate: ConcurrencyGate
    private let state = Mutex(State())

    public init(endpoint: ModelEndpoint, budget: Budget = Budget(), trace: TraceRecorder? = nil, loop: CurlLoop = .shared, logger: Logger) {
        self.endpoint = endpoint
        self.budget = budget
        self.trace = trace
        self.loop = loop
        self.logger = logger
        token = "aa-gw-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        switch endpoint.provider {
        case .openai: format = OpenAIChatFormat(responseFormat: endpoint.responseFormat)
        case .anthropic: format = AnthropicMessagesFormat()
        }
        gate = ConcurrencyGate.forEndpoint("\(endpoint.provider.rawValue) \(endpoint.baseURL)", limit: endpoint.maxConcurrent)
    }

    /// Serves connections on a listening socket (taking ownership of it) until `stop()`.
    public func serve(listener: Int32) {
        let accepted = state.withLock { s -> Bool in
            guard !s.stopped, s.listener < 0 else { return false }
            s.listener = listener
            return true
        }
        guard accepted else {
            close(listener)
            return
        }
        Thread.detachNewThread { [self] in acceptLoop(listener) }
    }

    /// Stops accepting, closes every open connection, and returns what was spent.
    @discardableResult
    public func stop() -> Totals {
        state.withLock { s in
            s.stopped = true
            if s.listener >= 0 { shutdown(s.listener, Int32(SHUT_RDWR)) }
            for fd in s.connections { shutdown(fd, Int32(SHUT_RDWR)) }
            return s.totals
        }
    }

    public var totals: Totals { state.withLock { $0.totals } }
    public var calls: [Call] { state.withLock { $0.calls } }

    /// The environment that points the usual SDKs and CLIs at the gateway on `port`.
    public func environment(port: UInt16) -> [String: String] {
        let base = "http://127.0.0.1:\(port)"
        return [
            "OPENAI_BASE_URL": base + "/v1", "OPENAI_API_BASE": base + "/v1", "OPENAI_API_KEY": token,
            "ANTHROPIC_BASE_URL": base, "ANTHROPIC_API_KEY": token, "ANTHROPIC_AUTH_TOKEN": token,
            "AA_MODEL_BASE_URL": base + (endpoint.provider == .openai ? "/v1" : ""), "AA_MODEL_API_KEY": token,
            "AA_MODEL": endpoint.model, "AA_MODEL_PROVIDER": endpoint.provider.rawValue,
        ]
    }

    private func acceptLoop(_ listener: Int32) {
        while true {
            guard let fd = try? acceptConnection(on: listener) else { break }
            let admitted = state.withLock { s -> Bool in
                guard !s.stopped else { return false }
                s.connections.insert(fd)
                return true
            }
            guard admitted else {
                close(fd)
                break
            }
            Thread.detachNewThread { [self] in
                serveConnection(HTTPServerConnection(fd: fd))
                state.withLock { _ = $0.connections.remove(fd) }
                close(fd)
            }
        }
        close(listener)
    }

    private func serveConnection(_ connection: HTTPServerConnection) {
        while true {
            let request: HTTPServerRequest
            do {
                guard let next = try connection.readRequest() else { return }
                request = next
            } catch {
                connection.write(status: error.status, headers: [("Content-Type", "application/json")],
                                 body: errorBody(error.message), keepAlive: false)
                return
            }
            let reply = handle(request)
            let keepAlive = request.keepAlive && !state.withLock { $0.stopped }
            guard connection.write(status: reply.status, headers: reply.headers, body: reply.body, keepAlive: keepAlive), keepAlive else { return }
        }
    }

    private struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
    }

    private func handle(_ request: HTTPServerRequest) -> Reply {
        let presented = request.headers["authorization"].map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : $0 }
            ?? request.headers["x-api-key"]
        guard presented == token else { return refuse(401, "the gateway token is missing or wrong", request) }
        let route = endpoint.provider == .openai ? "/chat/completions" : "/messages"
        if request.method == "GET", request.path.hasSuffix("/models") {
            let models: JSONValue = .object(["object": .string("list"), "data": .array([
                .object(["id": .string(endpoint.model), "object": .string("model"), "owned_by": .string("autoagent-gateway")]),
            ])])
            return Reply(status: 200, headers: [("Content-Type", "application/json")], body: Array(models.jsonText.utf8))
        }
        guard request.method == "POST", request.path.hasSuffix(route) else {
            return refuse(404, "this gateway serves POST …\(route) (\(endpoint.provider.rawValue)), not \(request.method) \(request.path)", request)
        }
        if let exceeded = budgetExceeded() {
            trace?.record(.budget) {
                $0.category = exceeded.category
                $0.limit = exceeded.limit
                $0.used = exceeded.used
                $0.message = "the gateway refused a model call: the trial's \(exceeded.category) budget is used up"
            }
            return refuse(403, "the trial's \(exceeded.category) budget is used up (\(exceeded.used) of \(exceeded.limit))", request)
        }
        guard case .object(var body)? = try? JSONValue.parse(request.body) else {
            return refuse(400, "the request body is not a JSON object", request)
        }
        body["model"] = .string(endpoint.model)
        let streaming = body["stream"] == .bool(true)
        if streaming, endpoint.provider == .openai {
            var options = body["stream_options"]?.objectValue ?? [:]
            options["include_usage"] = .bool(true)
            body["stream_options"] = .object(options)
        }
        var headers = format.headers(apiKey: endpoint.apiKey)
        if endpoint.provider == .anthropic {
            for name in ["anthropic-version", "anthropic-beta"] {
                guard let value = request.headers[name] else { continue }
                headers.removeAll { $0.lowercased().hasPrefix(name + ":") }
                headers.append("\(name): \(value)")
            }
        }
        trace?.record(.modelRequest) {
            $0.model = endpoint.model
            $0.messages = (body["messages"]?.arrayValue?.count ?? 0)
            $0.category = "gateway"
        }
        let http = HTTPRequest(url: format.url(baseURL: endpoint.baseURL), headers: headers, body: Array(JSONValue.object(body).jsonText.utf8),
                               timeoutSeconds: endpoint.requestTimeoutSeconds)
        let started = ContinuousClock.now
        let outcome = forward(http)
        let latency = (ContinuousClock.now - started) / .seconds(1)
        switch outcome {
        case .failure(let error):
            trace?.record(.error) {
                $0.category = "model_transport"
                $0.message = "gateway: \(error)"
            }
            return Reply(status: 502, headers: [("Content-Type", "application/json")], body: errorBody("the provider could not be reached: \(error)"))
        case .success(let response):
            let reply = response.status == 200
                ? (streaming ? Self.decodeStream(response.body, provider: endpoint.provider) : try? decode(response.body))
                : nil
            let usage = reply?.usage ?? ModelUsage()
            let cost = endpoint.price?.cost(usage)
            let call = Call(timestamp: ISOTime.string(Date()), status: response.status,
                            response: ModelResponse(text: reply?.text ?? "", toolCalls: reply?.toolCalls ?? [],
                                                    finishReason: reply?.finishReason ?? "", usage: usage, costUSD: cost,
                                                    latencySeconds: latency, attempts: 1))
            state.withLock { s in
                s.totals.calls += 1
                s.totals.usage.inputTokens += usage.inputTokens
                s.totals.usage.outputTokens += usage.outputTokens
                s.totals.usage.cachedTokens += usage.cachedTokens
                if let cost { s.totals.costUSD += cost } else if response.status == 200 { s.totals.priced = false }
                s.calls.append(call)
            }
            if response.status == 200 {
                trace?.record(.modelResponse) {
                    $0.model = endpoint.model
                    $0.promptTokens = usage.inputTokens
                    $0.completionTokens = usage.outputTokens
                    $0.latencySeconds = latency
                    $0.finishReason = call.response.finishReason
                    $0.costUSD = cost
                    $0.text = String(call.response.text.prefix(2000))
                }
            } else {
                trace?.record(.error) {
                    $0.category = "model_http"
                    $0.message = "gateway: the provider answered \(response.status): \(String(decoding: response.body.prefix(500), as: UTF8.self))"
                }
            }
            var replyHeaders: [(String, String)] = [("Content-Type", response.headers["content-type"] ?? "application/json")]
            if let retryAfter = response.headers["retry-after"] { replyHeaders.append(("Retry-After", retryAfter)) }
            return Reply(status: response.status, headers: replyHeaders, body: response.body)
        }
    }

    /// Waits on the curl loop from this connection's own thread.
    private func forward(_ request: HTTPRequest) -> Result<HTTPResponse, any Error> {
        let box = Mutex<Result<HTTPResponse, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task { [gate, loop] in
            await gate.acquire()
            let result: Result<HTTPResponse, any Error>
            do { result = .success(try await loop.perform(request)) } catch { result = .failure(error) }
            gate.release()
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }

    private func decode(_ body: [UInt8]) throws -> DecodedReply {
        try format.decode(try JSONValue.parse(body))
    }

    /// Text, finish reason and usage from a server-sent-events reply of either provider.
    static func decodeStream(_ body: [UInt8], provider: ModelProvider) -> DecodedReply {
        var reply = DecodedReply(text: "", toolCalls: [], finishReason: "", usage: ModelUsage())
        for line in String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline) where line.hasPrefix("data:") {
            guard let event = try? JSONValue.parse(Array(line.dropFirst(5).utf8)) else { continue }
            switch provider {
            case .openai:
                if let usage = event["usage"], usage != .null {
                    reply.usage.inputTokens = Int(usage["prompt_tokens"]?.number ?? 0)
                    reply.usage.outputTokens = Int(usage["completion_tokens"]?.number ?? 0)
                    reply.usage.cachedTokens = Int(usage["prompt_tokens_details"]?["cached_tokens"]?.number ?? 0)
                }
                guard let choice = event["choices"]?.arrayValue?.first else { continue }
                if let text = choice["delta"]?["content"]?.stringValue { reply.text += text }
                if let reason = choice["finish_reason"]?.stringValue { reply.finishReason = reason }
            case .anthropic:
                switch event["type"]?.stringValue {
                case "message_start":
                    let usage = event["message"]?["usage"]
                    let cached = Int(usage?["cache_read_input_tokens"]?.number ?? 0)
                    reply.usage.inputTokens = Int(usage?["input_tokens"]?.number ?? 0) + cached
                    reply.usage.cachedTokens = cached
                    reply.usage.outputTokens = Int(usage?["output_tokens"]?.number ?? 0)
                case "content_block_delta":
                    if let text = event["delta"]?["text"]?.stringValue { reply.text += text }
                case "message_delta":
                    if let output = event["usage"]?["output_tokens"]?.number { reply.usage.outputTokens = Int(output) }
                    if let reason = event["delta"]?["stop_reason"]?.stringValue { reply.finishReason = reason }
                default: break
                }
            }
        }
        return reply
    }

    private func budgetExceeded() -> (category: String, limit: Double, used: Double)? {
        let totals = state.withLock { $0.totals }
        let tokens = totals.usage.inputTokens + totals.usage.outputTokens
        if let limit = budget.tokens, tokens >= limit { return ("tokens", Double(limit), Double(tokens)) }
        if let limit = budget.dollars, totals.costUSD >= limit { return ("dollars", limit, totals.costUSD) }
        return nil
    }

    private func refuse(_ status: Int, _ message: String, _ request: HTTPServerRequest) -> Reply {
        state.withLock { $0.totals.refused += 1 }
        logger.info("gateway refused a request", metadata: ["status": "\(status)", "path": "\(request.path)", "why": "\(message)"])
        return Reply(status: status, headers: [("Content-Type", "application/json")], body: errorBody(message))
    }

    private func errorBody(_ message: String) -> [UInt8] {
        let body: JSONValue = .object(["error": .object([
            "type": .string("autoagent_gateway_error"), "message": .string("AutoAgent gateway: " + message),
        ])])
        return Array(body.jsonText.utf8)
    }
}
