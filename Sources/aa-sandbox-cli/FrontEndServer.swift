import AASandbox
import CAutoAgentFrontEnd
import Glibc
import Logging
import Synchronization

/// The runtime server behind the `aa-sandbox` front end: listens on the socket in the state folder
/// (only its own uid may talk to it), runs each front end's request in a fresh sandbox of one warm
/// runtime, many at once, and ends after an idle time or when asked to stop.
final class FrontEndServer: Sendable {
    let runtime: SandboxRuntime
    let paths: ServerPaths
    /// Seconds without a request after which the server ends.
    let idleExit: Double
    let logger: Logger
    /// The parsed options of recent requests.
    let parses = RunParseCache()
    /// The executables this server started with.
    let binaries: ServerBinaries

    private let listener: Int32
    private let wake: (read: Int32, write: Int32)

    private struct State {
        var sessions: [Int32: ServerSession] = [:]
        /// Sessions whose request ended: the loop closes them.
        var finished: [Int32] = []
        var served = 0
        var stopping = false
        var lastActivity = ContinuousClock.now
        var done: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Binds the socket (replacing a stale one: the caller holds the server lock).
    init(runtime: SandboxRuntime, paths: ServerPaths, idleExit: Double, logger: Logger) throws(ServerError) {
        self.runtime = runtime
        self.paths = paths
        self.idleExit = idleExit
        self.logger = logger
        binaries = ServerBinaries(initBinary: runtime.initBinary)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(paths.socket.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ServerError(call: "bind", path: paths.socket, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw ServerError(call: "socket", path: paths.socket, errno: errno) }
        unlink(paths.socket)
        let previousMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previousMask)
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw ServerError(call: "bind", path: paths.socket, errno: code)
        }
        guard listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            unlink(paths.socket)
            throw ServerError(call: "listen", path: paths.socket, errno: code)
        }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            let code = errno
            close(fd)
            unlink(paths.socket)
            throw ServerError(call: "pipe", path: paths.socket, errno: code)
        }
        for p in pipeFDs {
            _ = fcntl(p, F_SETFL, O_NONBLOCK)
            _ = fcntl(p, F_SETFD, FD_CLOEXEC)
        }
        listener = fd
        wake = (pipeFDs[0], pipeFDs[1])
    }

    /// Serves until the server is idle for `idleExit` seconds or asked to stop (`server stop`,
    /// SIGINT, SIGTERM), and every request it took has ended; the socket is gone by then.
    func serve() async {
        stopOnSignals(wakePipe: wake.write)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            state.withLock { $0.done = continuation }
            let started = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { argument in
                let server = Unmanaged<FrontEndServer>.fromOpaque(argument!).takeRetainedValue()
                server.loop()
                return nil
            }, started)
            if rc != 0 {
                Unmanaged<FrontEndServer>.fromOpaque(started).release()
                logger.error("cannot start the server thread", metadata: ["errno": "\(rc)"])
                finish()
            } else {
                pthread_detach(thread)
            }
        }
        restoreStopSignals()
        close(wake.read)
        close(wake.write)
    }

    /// What `aa-sandbox server status` shows.
    func statusReport() -> FrontEndMessage {
        var reply = FrontEndMessage(AAF_M_REPORT)
        reply.add(AAF_K_PID, getpid())
        reply.add(AAF_K_IDLE_EXIT, String(idleExit))
        let (served, sessions) = state.withLock { ($0.served, Array($0.sessions.values)) }
        reply.add(AAF_K_SERVED, served)
        for pid in sessions.compactMap(\.sandboxInitPID).sorted() { reply.add(AAF_K_SANDBOX, pid) }
        for slot in runtime.slotDirectories { reply.add(AAF_K_SLOT, slot) }
        return reply
    }

    /// Called by a request's task when it has ended: the loop closes the session.
    func finished(_ session: ServerSession) {
        state.withLock { s in
            s.finished.append(session.fd)
            s.lastActivity = .now
        }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    // MARK: the loop (one thread: accepts, reads every session, closes them)

    private func loop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(AAF_MAX_MESSAGE), alignment: 8)
        defer { buffer.deallocate() }
        var listening = true
        while true {
            let (sessions, stopping, timeout) = prepare()
            if stopping && listening {
                stopListening()
                listening = false
            }
            if stopping && !sessions.contains(where: { $0.isBusy }) { break }
            var polled = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            if listening { polled.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            let watched = sessions.filter { !$0.isGone }
            for session in watched { polled.append(pollfd(fd: session.fd, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&polled, nfds_t(polled.count), timeout)
            if n < 0 && errno != EINTR {
                logger.error("poll failed", metadata: ["errno": "\(errno)"])
                state.withLock { $0.stopping = true }
                continue
            }
            if polled[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while case let n = read(wake.read, &drain, drain.count), n > 0 {
                    if drain[0..<n].contains(stopSignalByte) {
                        logger.info("signalled: stopping")
                        state.withLock { $0.stopping = true }
                    }
                }
            }
            if listening && polled[1].revents != 0 { acceptAll(refusing: false) }
            for (i, session) in watched.enumerated() where polled[polled.count - watched.count + i].revents != 0 {
                readAll(session, buffer)
            }
        }
        let left = state.withLock { s -> [Int32] in
            defer { s.sessions = [:] }
            return Array(s.sessions.keys)
        }
        for fd in left { close(fd) }
        finish()
    }

    /// Closes finished sessions and decides what to wait for: the live sessions, whether the
    /// server is stopping, and the poll timeout (the idle deadline, when nothing runs).
    private func prepare() -> ([ServerSession], Bool, Int32) {
        let (closing, sessions, stopping, timeout) = state.withLock { s -> ([Int32], [ServerSession], Bool, Int32) in
            let closing = s.finished
            s.finished = []
            for fd in closing { s.sessions[fd] = nil }
            let sessions = Array(s.sessions.values)
            var timeout: Int32 = -1
            if !s.stopping && !sessions.contains(where: { $0.isBusy }) {
                let idle = ContinuousClock.now - s.lastActivity
                let left = idleExit - (Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18)
                if left <= 0 {
                    logger.info("idle: stopping", metadata: ["seconds": "\(idleExit)"])
                    s.stopping = true
                } else {
                    timeout = Int32(min(left * 1000 + 1, Double(Int32.max)))
                }
            }
            return (closing, sessions, s.stopping, timeout)
        }
        for fd in closing { close(fd) }
        return (sessions, stopping, timeout)
    }

    /// Removes the socket so that no new front end finds the server; those already queued are
    /// refused (they run their request themselves).
    private func stopListening() {
        unlink(paths.socket)
        acceptAll(refusing: true)
        close(listener)
    }

    private func acceptAll(refusing: Bool) {
        while true {
            let fd = aaf_accept(listener)
            if fd < 0 { return }
            var peer: uid_t = 0
            if refusing || aaf_peer_uid(fd, &peer) != 0 || peer != geteuid() {
                if !refusing { logger.warning("refused a connection from another user", metadata: ["uid": "\(peer)"]) }
                FrontEndMessage(AAF_M_REFUSED).send(on: fd)
                close(fd)
                continue
            }
            state.withLock { $0.sessions[fd] = ServerSession(fd: fd) }
        }
    }

    private func readAll(_ session: ServerSession, _ buffer: UnsafeMutableRawBufferPointer) {
        while true {
            switch FrontEndMessage.receive(from: session.fd, into: buffer) {
            case .nothing:
                return
            case .closed:
                if session.isBusy {
                    session.hangUp()
                } else {
                    state.withLock { $0.sessions[session.fd] = nil }
                    close(session.fd)
                }
                return
            case .message(let message):
                handle(message, from: session)
            }
        }
    }

    private func handle(_ message: FrontEndMessage, from session: ServerSession) {
        switch message.type {
        case AAF_M_RUN:
            if let refusal = refusal(of: message) {
                logger.info("refused a request", metadata: ["reason": "\(refusal)"])
                for fd in message.fds { close(fd) }
                FrontEndMessage(AAF_M_REFUSED).send(on: session.fd)
                return
            }
            guard session.begin() else {
                for fd in message.fds { close(fd) }
                return
            }
            state.withLock { s in
                s.served += 1
                s.lastActivity = .now
            }
            Task { await self.serveRun(message, session: session) }
        case AAF_M_SIGNAL:
            if let signal = message.int(AAF_K_SIGNAL) { session.interrupt(Int32(truncatingIfNeeded: signal)) }
        case AAF_M_STATUS:
            statusReport().send(on: session.fd)
        case AAF_M_STOP:
            logger.info("asked to stop")
            state.withLock { $0.stopping = true }
            var reply = FrontEndMessage(AAF_M_STOPPING)
            reply.add(AAF_K_PID, getpid())
            reply.send(on: session.fd)
        default:
            for fd in message.fds { close(fd) }
        }
    }

    /// Why a run request is not served here: its front end belongs to another aa-sandbox-cli, or
    /// this server's executables were rebuilt since it started (then it stops, so that the next
    /// front end starts a current one).
    private func refusal(of message: FrontEndMessage) -> String? {
        let cli = message.string(AAF_K_CLI) ?? ""
        if cli != binaries.executable { return "the front end runs \(cli), this server is \(binaries.executable)" }
        if !binaries.unchanged {
            state.withLock { $0.stopping = true }
            return "this server's executables changed since it started; stopping"
        }
        return nil
    }

    private func finish() {
        let done = state.withLock { s in
            defer { s.done = nil }
            return s.done
        }
        done?.resume()
    }
}
