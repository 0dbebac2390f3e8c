/// What a provider's wire format decodes into, before cost and latency are added.
struct DecodedReply: Sendable {
    var text: String
    var toolCalls: [ModelToolCall]
    var finishReason: String
    var usage: ModelUsage
}

/// A provider's HTTP API: where to post, which headers, how to encode a request and decode a reply.
protocol ModelWireFormat: Sendable {
    func url(baseURL: String) -> String
    func headers(apiKey: String?) -> [String]
    func body(_ request: ModelRequest, model: String) -> JSONValue
    /// Throws a message describing what is missing or malformed.
    func decode(_ reply: JSONValue) throws(WireFormatError) -> DecodedReply
}

struct WireFormatError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

func trimmedBase(_ baseURL: String) -> String {
    var base = baseURL
    while base.hasSuffix("/") { base.removeLast() }
    return base
}
