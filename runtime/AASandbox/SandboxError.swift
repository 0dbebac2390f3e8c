import SystemPackage

/// Why a sandbox operation failed: a code, the step that failed, what it acted on and, for a
/// failed system call, its errno.
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; more kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The spec is invalid (names the field).
        public static let invalidSpec = Code("invalid spec")
        /// The runtime cannot start here (privileges, missing helper, kernel support).
        public static let unsupported = Code("unsupported")
        /// Building the sandbox failed (names the step and the system call).
        public static let setupFailed = Code("set-up failed")
        /// Starting a command failed (names the step).
        public static let execFailed = Code("exec failed")
        /// The sandbox is gone (destroyed, wall-clock limit, its init was killed).
        public static let terminated = Code("sandbox terminated")
        /// A cgroup operation failed.
        public static let cgroupFailed = Code("cgroup failed")
        /// Compiling the seccomp policy failed.
        public static let seccompFailed = Code("seccomp failed")
        /// The runtime's helper process misbehaved.
        public static let internalError = Code("internal error")
    }

    public var code: Code
    public var step: String
    public var detail: String
    public var underlying: Errno?

    public init(_ code: Code, step: String, detail: String = "", underlying: Errno? = nil) {
        self.code = code
        self.step = step
        self.detail = detail
        self.underlying = underlying
    }

    init(_ code: Code, _ error: SystemCallError) {
        self.init(code, step: error.call, detail: error.target ?? "", underlying: error.errno)
    }

    public var description: String {
        var text = "\(code): \(step)"
        if !detail.isEmpty { text += " \(detail)" }
        if let underlying { text += ": \(underlying)" }
        return text
    }
}
