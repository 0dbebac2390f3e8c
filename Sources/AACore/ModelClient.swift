import Foundation
import Logging

/// Which wire format a model speaks.
public enum ModelProvider: String, Sendable, CaseIterable {
    case openai
    case anthropic
}

/// How a JSON schema for the reply is sent to an OpenAI-compatible server.
public enum ResponseFormatStyle: String, Sendable, CaseIterable {
    /// `{"type": "json_schema", "json_schema": {"name", "schema"}}` (OpenAI, vLLM, llama-server).
    case jsonSchema = "json_schema"
    /// `{"type": "json_object", "schema": …}` (llama-cpp-python's server).
    case jsonObject = "json_object"
}

/// Dollars per million tokens.
public struct ModelPrice: Sendable, Equatable {
    public var inputPerMTok: Double
    public var outputPerMTok: Double
    /// For cached input tokens; nil: the input price.
    public var cachedInputPerMTok: Double?

    public init(inputPerMTok: Double, outputPerMTok: Double, cachedInputPerMTok: Double? = nil) {
        self.inputPerMTok = inputPerMTok
        self.outputPerMTok = outputPerMTok
        self.cachedInputPerMTok = cachedInputPerMTok
    }

    public func cost(_ usage: ModelUsage) -> Double {
        let cached = Double(usage.cachedTokens)
        let fresh = Double(max(0, usage.inputTokens - usage.cachedTokens))
        return (fresh * inputPerMTok + cached * (cachedInputPerMTok ?? inputPerMTok) + Double(usage.outputTokens) * outputPerMTok) / 1_000_000
    }
}

/// Retries with exponential backoff and jitter.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(maxAttempts: Int = 6, baseDelaySeconds: Double = 1, maxDelaySeconds: Double = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// The wait before attempt `attempt + 1`: `Retry-After` when the server sent one, else
    /// base·2^(attempt-1) capped, with jitter in [50 %, 100 %].
    public func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(0, retryAfter), maxDelaySeconds) }
        let exponential = min(maxDelaySeconds, baseDelaySeconds * pow(2, Double(attempt - 1)))
        return exponential * Double.random(in: 0.5...1.0)
    }
}

/// Where and how to reach a model.
public struct ModelEndpoint: Sendable, Equatable {
    public var provider: ModelProvider
    public var baseURL: String
    public var model: String
    public var apiKey: String?
    /// One HTTP attempt's limit.
    public var requestTimeoutSeconds: Double
    /// The limit of a call with all its retries.
    public var totalTimeoutSeconds: Double
    public var retry: RetryPolicy
    /// Calls in flight at once to this provider and base URL, process-wide.
    public var maxConcurrent: Int
    public var price: ModelPrice?
    public var responseFormat: ResponseFormatStyle

    public init(provider: ModelProvider, baseURL: String, model: String, apiKey: String? = nil, requestTimeoutSeconds: Double = 300,
                totalTimeoutSeconds: Double = 900, retry: RetryPolicy = RetryPolicy(), maxConcurrent: Int = 64, price: ModelPrice? = nil,
                responseFormat: ResponseFormatStyle = .jsonSchema) {
        self.provider = provider
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.totalTimeoutSeconds = totalTimeoutSeconds
        self.retry = retry
        self.maxConcurrent = maxConcurrent
        self.price = price
        self.responseFormat = responseFormat
    }
}

/// Calls a model over HTTP through the process's `CurlLoop`, retrying what a retry can fix.
public struct ModelClient: Sendable {
    public let endpoint: ModelEndpoint
    private let format: any ModelWireFormat
    private let gate: ConcurrencyGate
    private let loop: CurlLoop
    private let logger: Logger

    public init(endpoint: ModelEndpoint, loop: CurlLoop = .shared, logger: Logger) {
        self.endpoint = endpoint
        switch endpoint.provider {
        case .openai: format = OpenAIChatFormat(responseFormat: endpoint.responseFormat)
        case .anthropic: format = AnthropicMessagesFormat()
        }
        gate = ConcurrencyGate.forEndpoint("\(endpoint.provider.rawValue) \(endpoint.baseURL)", limit: endpoint.maxConcurrent)
        self.loop = loop
        self.logger = logger
    }

    /// Sends the request; retries 429, 5xx, connection failures and unreadable replies until the
    /// policy or the total time runs out.
    public func complete(_ request: ModelRequest) async throws -> ModelResponse {
        let body = Array(format.body(request, model: endpoint.model).jsonText.utf8)
        let started = ContinuousClock.now
        let deadline = started + .seconds(endpoint.totalTimeoutSeconds)
        var attempt = 0
        while true {
            attempt += 1
            let remaining = (deadline - ContinuousClock.now) / .seconds(1)
            guard remaining > 0 else {
                throw ModelError(.timeout, "the total time limit of \(endpoint.totalTimeoutSeconds)s ran out", attempts: attempt - 1)
            }
            let http = HTTPRequest(url: format.url(baseURL: endpoint.baseURL), headers: format.headers(apiKey: endpoint.apiKey),
                                   body: body, timeoutSeconds: min(endpoint.requestTimeoutSeconds, remaining))
            let failure: ModelError
            var retryAfter: Double?
            await gate.acquire()
            let sent = ContinuousClock.now
            let outcome: Result<HTTPResponse, any Error>
            do { outcome = .success(try await loop.perform(http)) } catch { outcome = .failure(error) }
            gate.release()
            switch outcome {
            case .failure(let error as HTTPTransportError):
                failure = ModelError(error.timedOut ? .timeout : .transport, error.description, attempts: attempt)
            case .failure(let error):
                throw error
            case .success(let response) where response.status == 200:
                do {
                    let reply = try decodeReply(response.body)
                    let latency = (ContinuousClock.now - sent) / .seconds(1)
                    return ModelResponse(text: reply.text, toolCalls: reply.toolCalls, finishReason: reply.finishReason, usage: reply.usage,
                                         costUSD: endpoint.price?.cost(reply.usage), latencySeconds: latency, attempts: attempt)
                } catch {
                    failure = ModelError(.malformedResponse, error.message, status: 200, attempts: attempt)
                }
            case .success(let response):
                let excerpt = String(decoding: response.body.prefix(500), as: UTF8.self)
                failure = ModelError(.http, excerpt, status: response.status, attempts: attempt)
                guard Self.isRetryable(status: response.status) else { throw failure }
                retryAfter = response.headers["retry-after"].flatMap(Self.parseRetryAfter)
            }
            guard attempt < endpoint.retry.maxAttempts else { throw failure }
            let wait = endpoint.retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            let left = (deadline - ContinuousClock.now) / .seconds(1)
            guard wait < left else { throw failure }
            logger.info("model call failed, retrying", metadata: [
                "attempt": "\(attempt)", "wait_s": "\(String(format: "%.2f", wait))", "error": "\(failure)",
            ])
            try await Task.sleep(for: .seconds(wait))
        }
    }

    private func decodeReply(_ body: [UInt8]) throws(WireFormatError) -> DecodedReply {
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch {
            throw WireFormatError("the reply is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return try format.decode(json)
    }

    /// 408, 409, 429 and every 5xx (529 is Anthropic's "overloaded").
    static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || (500...599).contains(status)
    }

    /// Seconds from a `Retry-After` value: a number of seconds or an HTTP date.
    static func parseRetryAfter(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}
