/// Why a trial did not complete normally, named with Harbor's exception types so Harbor's
/// tools and `aa analyze` classify them the same way.
public struct TrialFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let agentTimeout = Kind(rawValue: "AgentTimeoutError")
        public static let nonZeroAgentExitCode = Kind(rawValue: "NonZeroAgentExitCodeError")
        public static let agentError = Kind(rawValue: "AgentError")
        public static let verifierTimeout = Kind(rawValue: "VerifierTimeoutError")
        public static let rewardFileNotFound = Kind(rawValue: "RewardFileNotFoundError")
        public static let rewardFileEmpty = Kind(rawValue: "RewardFileEmptyError")
        public static let verifierOutputParse = Kind(rawValue: "VerifierOutputParseError")
        public static let environmentBuild = Kind(rawValue: "EnvironmentBuildError")
        public static let environmentStartTimeout = Kind(rawValue: "EnvironmentStartTimeoutError")
        public static let healthcheck = Kind(rawValue: "HealthcheckError")
        public static let unsupportedTask = Kind(rawValue: "UnsupportedTaskError")
        public static let sandbox = Kind(rawValue: "SandboxError")

        /// Harbor's default `RetryConfig.exclude_exceptions`: failures a retry would only repeat.
        public static let notRetriedByDefault: Set<Kind> = [
            .agentTimeout, .verifierTimeout, .rewardFileNotFound, .rewardFileEmpty, .verifierOutputParse,
        ]
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
