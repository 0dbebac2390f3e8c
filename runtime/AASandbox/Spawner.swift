import CAutoAgentLinux
import Glibc
import Synchronization
import SystemPackage

/// The runner's side of one aa-sandbox-init spawner process, which lives in one sandbox slot's
/// cgroups: sends create requests, each answered with the new init's control socket and pidfd. A
/// slot hosts one sandbox at a time.
final class Spawner: Sendable {
    private struct State {
        /// Why the spawner could not set itself up (it exits after saying so).
        var startFailure: SandboxError?
        var nextRequest = 1
        var pending: [Int: CheckedContinuation<WireMessage, any Error>] = [:]
        var closed = false
    }

    let pid: pid_t
    /// The slot's cgroups, which every sandbox of this spawner starts in.
    let slot: Cgroups.Group?
    /// The limits last written to the slot's cgroups.
    let appliedLimits = Mutex<SandboxSpec.Limits?>(nil)
    /// OOM kills in the slot already accounted for.
    private let oomKillsSeen = Mutex(0)
    private let state = Mutex(State())
    private let channel = Mutex<ControlChannel?>(nil)

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Starts a new sandbox's OOM accounting from the slot's current count.
    func resetOOMBaseline() {
        guard let slot else { return }
        let count = slot.oomKills()
        oomKillsSeen.withLock { $0 = count }
    }

    /// Whether the slot's cgroup counted an OOM kill since the last time this was asked.
    func sawNewOOMKill() -> Bool {
        guard let slot else { return false }
        let count = slot.oomKills()
        return oomKillsSeen.withLock { seen -> Bool in
            defer { seen = max(seen, count) }
            return count > seen
        }
    }

    /// - Parameter mounts: the host directories the spawner attaches id-mapped, and where.
    init(initBinary: String, uidMap: String, gidMap: String, slot: Cgroups.Group?, mounts: HostBase.Mounts) throws(SandboxError) {
        self.slot = slot
        var sv: [Int32] = [-1, -1]
        if socketpair(AF_UNIX, aal_SOCK_SEQPACKET | aal_SOCK_CLOEXEC, 0, &sv) != 0 {
            throw SandboxError(.unsupported, step: "socketpair", detail: "spawner", underlying: .init(rawValue: errno))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, sv[1], 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv = [initBinary, "spawner", uidMap, gidMap] + (slot?.directories.values.sorted() ?? []).map { "cgroup:" + $0 }
            + mounts.attachPoints.sorted { $0.key < $1.key }.map { "idmap:\($0.key)=\($0.value)" }
            + ["sysfs:" + mounts.slotSysfs, "empty:" + mounts.maskSource] + HostBase.maskedSysPaths.map { "sysmask:" + $0 }
            + ["mask:" + mounts.maskPoint, "dev:" + mounts.devTree]
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var envp: [UnsafeMutablePointer<CChar>?] = [nil]
        var child: pid_t = 0
        let rc = posix_spawn(&child, initBinary, &actions, &attr, &cArgs, &envp)
        close(sv[1])
        if rc != 0 {
            close(sv[0])
            throw SandboxError(.unsupported, step: "posix_spawn", detail: initBinary, underlying: .init(rawValue: rc))
        }
        pid = child
        let ch = try? ControlChannel(fd: sv[0], onMessage: { [weak self] in self?.receive($0) }, onClose: { [weak self] in self?.closed() })
        guard let ch else {
            close(sv[0])
            throw SandboxError(.internalError, step: "epoll_ctl", detail: "spawner socket")
        }
        channel.withLock { $0 = ch }
    }

    /// Sends a create request; returns the CREATED message (its fds: the init's control socket and
    /// a pidfd of the init).
    func create(_ request: WireMessage) async throws -> WireMessage {
        var message = request
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<WireMessage, any Error>) in
            let reserved: Result<Int, SandboxError> = state.withLock { s in
                if s.closed { return .failure(s.startFailure ?? SandboxError(.internalError, step: "spawner", detail: "the spawner process is gone")) }
                let id = s.nextRequest
                s.nextRequest += 1
                s.pending[id] = cont
                return .success(id)
            }
            let id: Int
            switch reserved {
            case .success(let n): id = n
            case .failure(let e):
                cont.resume(throwing: e)
                return
            }
            message.add(AAL_K_REQ_ID, id)
            do throws(SystemCallError) {
                try channel.withLock { ch throws(SystemCallError) in try ch?.send(message) }
            } catch {
                // The spawner is gone: the reactor reads what it said last (why it could not start,
                // say) and then answers every pending request.
                if error.errno == .brokenPipe || error.errno == .connectionReset { return }
                if let c = state.withLock({ $0.pending.removeValue(forKey: id) }) {
                    c.resume(throwing: SandboxError(.internalError, error))
                }
            }
        }
    }

    private func receive(_ message: WireMessage) {
        switch Int(message.type) {
        case Int(AAL_M_CREATED.rawValue), Int(AAL_M_FAILED.rawValue):
            guard let id = message.int(AAL_K_REQ_ID),
                  let cont = state.withLock({ $0.pending.removeValue(forKey: id) }) else {
                for fd in message.fds { close(fd) }
                if message.int(AAL_K_REQ_ID) == 0 {
                    state.withLock { $0.startFailure = Self.failure(message) }
                }
                return
            }
            if message.type == UInt16(AAL_M_CREATED.rawValue), message.fds.count == 2 {
                cont.resume(returning: message)
            } else {
                for fd in message.fds { close(fd) }
                cont.resume(throwing: Self.failure(message))
            }
        default:
            for fd in message.fds { close(fd) }
        }
    }

    /// The error a FAILED message describes.
    private static func failure(_ message: WireMessage) -> SandboxError {
        let code = message.int(AAL_K_ERRNO) ?? 0
        return SandboxError(
            .setupFailed, step: message.string(AAL_K_STEP) ?? "create", detail: message.string(AAL_K_DETAIL) ?? "",
            underlying: code == 0 ? nil : .init(rawValue: Int32(code)))
    }

    private func closed() {
        let (pending, failure) = state.withLock { s in
            s.closed = true
            let p = s.pending
            s.pending = [:]
            return (p, s.startFailure)
        }
        for cont in pending.values {
            cont.resume(throwing: failure ?? SandboxError(.internalError, step: "spawner", detail: "the spawner process exited"))
        }
    }

    /// Asks the spawner to exit (it kills its sandboxes first) and waits for it.
    func shutdown() {
        channel.withLock { ch in
            try? ch?.send(WireMessage(AAL_M_SHUTDOWN))
            ch?.close()
            ch = nil
        }
        closed()
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
