import CAutoAgentLinux
import Glibc
import Synchronization
import SystemPackage

/// One running exec: its pipes, the output kept so far, and who waits for its result.
/// Finishes when the command has exited and both output streams are closed (or a short grace
/// period after exit, so a daemon holding the pipes open cannot hang the caller).
final class ExecOperation: Sendable {
    static let outputGraceSeconds = 0.2

    private struct Output {
        var kept: [UInt8] = []
        var total = 0
        var open = true
        var token: UInt64 = 0
        var fd: Int32 = -1
    }

    private struct State {
        var out = Output()
        var err = Output()
        var stdin: [UInt8] = []
        var stdinOffset = 0
        var stdinFD: Int32 = -1
        var stdinToken: UInt64 = 0
        var status: Int32?
        var pid: Int32 = 0
        var rusage = (user: 0.0, system: 0.0, maxRSS: 0)
        var failure: SandboxError?
        var timedOut = false
        var waiter: (@Sendable (Result<ExecResult, SandboxError>) -> Void)?
        var finished = false
    }

    let id: Int
    let limit: Int
    let started: ContinuousClock.Instant
    private let state = Mutex(State())
    /// Asked only when the command failed: did the OOM killer kill something in the sandbox?
    private let oomCheck: @Sendable () -> Bool

    init(id: Int, limit: Int, oomCheck: @escaping @Sendable () -> Bool) {
        self.id = id
        self.limit = limit
        self.oomCheck = oomCheck
        self.started = .now
    }

    /// Hands the caller's descriptors straight to the command; nothing is captured.
    func passThrough() {
        state.withLock { s in
            s.out.open = false
            s.err.open = false
        }
    }

    /// Creates the pipes; returns the child's ends (stdin, stdout, stderr) to pass to the init.
    func openPipes(stdin data: [UInt8]?, devNull: Int32) throws(SandboxError) -> [Int32] {
        func pipe() throws(SandboxError) -> (Int32, Int32) {
            var fds: [Int32] = [-1, -1]
            guard aal_pipe2(&fds, O_CLOEXEC) == 0 else {
                throw SandboxError(.execFailed, step: "pipe2", underlying: .init(rawValue: errno))
            }
            return (fds[0], fds[1])
        }
        let (outR, outW) = try pipe()
        let (errR, errW) = try pipe()
        var childStdin = devNull
        var stdinW: Int32 = -1
        if let data, !data.isEmpty {
            let (r, w) = try pipe()
            childStdin = r
            stdinW = w
            _ = fcntl(w, F_SETFL, fcntl(w, F_GETFL) | O_NONBLOCK)
        } else if data != nil {
            let (r, w) = try pipe()
            close(w)
            childStdin = r
        }
        _ = fcntl(outR, F_SETFL, fcntl(outR, F_GETFL) | O_NONBLOCK)
        _ = fcntl(errR, F_SETFL, fcntl(errR, F_GETFL) | O_NONBLOCK)
        state.withLock { s in
            s.out.fd = outR
            s.err.fd = errR
            s.stdinFD = stdinW
            s.stdin = data ?? []
        }
        return [childStdin, outW, errW]
    }

    /// Starts watching the pipes once the child's ends have been handed over.
    func watch() throws(SandboxError) {
        let (outFD, errFD, inFD) = state.withLock { ($0.out.fd, $0.err.fd, $0.stdinFD) }
        guard outFD >= 0 else { return }
        do {
            let outToken = try Reactor.shared.add(fd: outFD, events: aal_EPOLLIN | aal_EPOLLRDHUP) { [weak self] _ in self?.drain(stdout: true) }
            let errToken = try Reactor.shared.add(fd: errFD, events: aal_EPOLLIN | aal_EPOLLRDHUP) { [weak self] _ in self?.drain(stdout: false) }
            state.withLock { s in
                s.out.token = outToken
                s.err.token = errToken
            }
            if inFD >= 0 {
                let inToken = try Reactor.shared.add(fd: inFD, events: aal_EPOLLOUT) { [weak self] _ in self?.feed() }
                state.withLock { $0.stdinToken = inToken }
            }
        } catch {
            throw SandboxError(.execFailed, error)
        }
    }

    func wait() async throws -> ExecResult {
        try await withCheckedThrowingContinuation { cont in
            whenFinished { cont.resume(with: $0) }
        }
    }

    /// Calls handler once with the result (on whichever thread finishes the exec).
    func whenFinished(_ handler: @escaping @Sendable (Result<ExecResult, SandboxError>) -> Void) {
        let ready = state.withLock { s -> Bool in
            s.waiter = handler
            return s.finished
        }
        if ready { finish() }
    }

    /// Reads what a pipe holds; runs on the reactor thread, so it may use the reactor's buffer.
    private func drain(stdout: Bool) {
        let buf = Reactor.shared.scratch
        while true {
            let fd = state.withLock { stdout ? $0.out.fd : $0.err.fd }
            guard fd >= 0 else { return }
            let n = read(fd, buf.baseAddress, buf.count)
            if n > 0 {
                state.withLock { s in
                    func take(_ o: inout Output) {
                        o.total += n
                        let room = max(0, limit - o.kept.count)
                        if room > 0 { o.kept.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[0..<min(n, room)])) }
                    }
                    if stdout { take(&s.out) } else { take(&s.err) }
                }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            closeStream(stdout: stdout)
            return
        }
    }

    private func closeStream(stdout: Bool) {
        let (fd, token): (Int32, UInt64) = state.withLock { s in
            if stdout {
                defer { s.out.open = false; s.out.fd = -1 }
                return (s.out.fd, s.out.token)
            }
            defer { s.err.open = false; s.err.fd = -1 }
            return (s.err.fd, s.err.token)
        }
        if fd >= 0 {
            Reactor.shared.remove(fd: fd, token: token)
            close(fd)
        }
        checkDone()
    }

    private func feed() {
        let (fd, token, done): (Int32, UInt64, Bool) = state.withLock { s in
            guard s.stdinFD >= 0 else { return (-1, 0, true) }
            while s.stdinOffset < s.stdin.count {
                let n = s.stdin[s.stdinOffset...].withUnsafeBytes { write(s.stdinFD, $0.baseAddress, $0.count) }
                if n > 0 { s.stdinOffset += n; continue }
                if n < 0 && (errno == EAGAIN || errno == EINTR) { return (s.stdinFD, s.stdinToken, false) }
                break
            }
            let fd = s.stdinFD
            s.stdinFD = -1
            s.stdin = []
            return (fd, s.stdinToken, true)
        }
        if done && fd >= 0 {
            Reactor.shared.remove(fd: fd, token: token)
            close(fd)
        }
    }

    /// The command has exited. `onReactor`: called on the reactor thread, which may read the pipes
    /// at once (their end of file is usually there already) instead of waiting for the next turn.
    func exited(pid: Int32, status: Int32, userMicros: Int, systemMicros: Int, maxRSS: Int, onReactor: Bool = false) {
        var streamsOpen = state.withLock { s -> Bool in
            if pid != 0 { s.pid = pid }
            s.status = status
            s.rusage = (Double(userMicros) / 1e6, Double(systemMicros) / 1e6, maxRSS)
            return s.out.open || s.err.open
        }
        if streamsOpen && onReactor {
            drain(stdout: true)
            drain(stdout: false)
            streamsOpen = state.withLock { $0.out.open || $0.err.open }
        }
        if streamsOpen {
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(Self.outputGraceSeconds))
                self?.closeStream(stdout: true)
                self?.closeStream(stdout: false)
            }
        }
        checkDone()
    }

    func markTimedOut() {
        state.withLock { $0.timedOut = true }
    }

    /// Ends the exec with an error (it could not start, or the sandbox went away).
    func fail(_ error: SandboxError) {
        state.withLock { s in
            if s.failure == nil && s.status == nil { s.failure = error }
        }
        closeStream(stdout: true)
        closeStream(stdout: false)
        feedClose()
        checkDone(force: true)
    }

    private func feedClose() {
        let (fd, token) = state.withLock { s -> (Int32, UInt64) in
            defer { s.stdinFD = -1 }
            return (s.stdinFD, s.stdinToken)
        }
        if fd >= 0 {
            Reactor.shared.remove(fd: fd, token: token)
            close(fd)
        }
    }

    private func checkDone(force: Bool = false) {
        let ready = state.withLock { s -> Bool in
            if s.finished { return false }
            let done = (s.status != nil || s.failure != nil) && !s.out.open && !s.err.open
            if done || force { s.finished = true }
            return s.finished && s.waiter != nil
        }
        if ready { finish() }
    }

    private func finish() {
        feedClose()
        let wall = (ContinuousClock.now - started)
        // Only a failed command can have been the OOM killer's victim (a shell reports it as 137).
        let failed = state.withLock { $0.status.map { $0 != 0 } ?? false }
        let oom = failed && oomCheck()
        let (waiter, outcome): ((@Sendable (Result<ExecResult, SandboxError>) -> Void)?, Result<ExecResult, SandboxError>) = state.withLock { s in
            let w = s.waiter
            s.waiter = nil
            if let status = s.status {
                let exited = aal_wifexited(status) != 0
                let result = ExecResult(
                    exitCode: exited ? aal_wexitstatus(status) : nil,
                    signal: aal_wifsignaled(status) != 0 ? aal_wtermsig(status) : nil,
                    timedOut: s.timedOut, oomKilled: oom, stdout: s.out.kept, stderr: s.err.kept,
                    stdoutBytes: s.out.total, stderrBytes: s.err.total,
                    wallSeconds: Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18,
                    userCPUSeconds: s.rusage.user, systemCPUSeconds: s.rusage.system, maxRSSKilobytes: s.rusage.maxRSS,
                    pid: s.pid)
                return (w, .success(result))
            }
            return (w, .failure(s.failure ?? SandboxError(.terminated, step: "exec")))
        }
        waiter?(outcome)
    }
}
