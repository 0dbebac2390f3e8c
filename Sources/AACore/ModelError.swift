/// A model call that failed after its retries, or could not be made.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// An HTTP status the client does not retry, or one that kept coming back.
        case http
        /// The connection failed or was cut.
        case transport
        /// The request or total time limit ran out.
        case timeout
        /// The reply was not the provider's JSON shape.
        case malformedResponse = "malformed_response"
    }

    public var kind: Kind
    public var message: String
    /// The last HTTP status, when there was one.
    public var status: Int?
    public var attempts: Int

    public init(_ kind: Kind, _ message: String, status: Int? = nil, attempts: Int = 1) {
        self.kind = kind
        self.message = message
        self.status = status
        self.attempts = attempts
    }

    public var description: String {
        let code = status.map { " (HTTP \($0))" } ?? ""
        return "model \(kind.rawValue)\(code) after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(message)"
    }
}
