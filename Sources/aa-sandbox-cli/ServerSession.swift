import AASandbox
import Glibc
import Synchronization

/// One front end's connection to the server and the sandbox its request runs in. The sandbox ends
/// at once when the front end forwards a signal or goes away (even SIGKILLed: its socket closes).
final class ServerSession: Sendable {
    /// The connection's socket (non-blocking); only the server's loop closes it.
    let fd: Int32

    private struct State {
        var sandbox: Sandbox?
        var signal: Int32?
        var gone = false
        var busy = false
    }

    private let state = Mutex(State())

    init(fd: Int32) {
        self.fd = fd
    }

    /// Marks the session as running a request; false if it already runs one.
    func begin() -> Bool {
        state.withLock { s in
            defer { s.busy = true }
            return !s.busy
        }
    }

    var isBusy: Bool { state.withLock { $0.busy } }
    var isGone: Bool { state.withLock { $0.gone } }
    /// Whether the front end forwarded a signal or is gone: its request should end.
    var isEnded: Bool { state.withLock { $0.gone || $0.signal != nil } }

    /// The exit code of a request whose front end forwarded signal N: 128+N, as a shell reports a
    /// process killed by it.
    var interruptionExitCode: Int32? { state.withLock { $0.signal.map { 128 + $0 } } }

    /// Host pid of the running sandbox's init, if one runs.
    var sandboxInitPID: Int32? { state.withLock { $0.sandbox?.initPID } }

    /// Runs one command in a fresh sandbox (a one-shot run), unless the session ends first; a
    /// session that ends while it runs destroys the sandbox, and the run throws.
    func run(_ spec: SandboxSpec, _ request: ExecRequest, runtime: SandboxRuntime) async throws -> ExecResult {
        if isEnded { throw SandboxError(.terminated, step: "front end ended", detail: "before the sandbox was made") }
        defer { state.withLock { $0.sandbox = nil } }
        return try await Sandbox.run(spec, request, runtime: runtime) { [self] sandbox in
            let ended = state.withLock { s -> Bool in
                if s.signal != nil || s.gone { return true }
                s.sandbox = sandbox
                return false
            }
            if ended { Task { await sandbox.destroy() } }
        }
    }

    /// The front end forwarded a signal: the sandbox ends now.
    func interrupt(_ signal: Int32) {
        end { $0.signal = $0.signal ?? signal }
    }

    /// The front end is gone: the sandbox ends now.
    func hangUp() {
        end { $0.gone = true }
    }

    private func end(_ change: (inout State) -> Void) {
        let sandbox = state.withLock { s -> Sandbox? in
            change(&s)
            return s.sandbox
        }
        if let sandbox { Task { await sandbox.destroy() } }
    }
}
