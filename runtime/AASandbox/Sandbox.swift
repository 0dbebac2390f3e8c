import CAutoAgentLinux
import Glibc
import Logging
import Synchronization
import SystemPackage

/// A live sandbox: create it, run any number of commands in it (concurrently if you like), then
/// destroy it. Destroy returns once no process, mount or cgroup of it is left.
public final class Sandbox: Sendable {
    public let spec: SandboxSpec
    /// The runtime's name for it (also its cgroup's name).
    public let name: String
    /// Host pid of the sandbox's init (pid 1 inside).
    public let initPID: Int32

    private struct State {
        var nextExec = 1
        var execs: [Int: ExecOperation] = [:]
        var killWaiters: [CheckedContinuation<Void, any Error>] = []
        var terminated: SandboxError?
        var wallClockExpired = false
        var destroyStarted = false
        var destroyFinished = false
        var destroyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let runtime: SandboxRuntime
    private let spawner: Spawner
    private let cgroup: Cgroups.Group?
    private let state = Mutex(State())
    private let channel = Mutex<ControlChannel?>(nil)
    private let baseRlimits: [(Int32, Int, Int)]
    private let wallTimer = Mutex<Task<Void, Never>?>(nil)

    private init(spec: SandboxSpec, name: String, initPID: Int32, runtime: SandboxRuntime, spawner: Spawner, cgroup: Cgroups.Group?) {
        self.spec = spec
        self.name = name
        self.initPID = initPID
        self.runtime = runtime
        self.spawner = spawner
        self.cgroup = cgroup
        var limits: [(Int32, Int, Int)] = [(aal_RLIMIT_CORE, 0, 0)]
        if let n = spec.limits.openFiles { limits.append((aal_RLIMIT_NOFILE, n, n)) }
        if let n = spec.limits.processes { limits.append((aal_RLIMIT_NPROC, n, n)) }
        if let n = spec.limits.fileSizeBytes { limits.append((aal_RLIMIT_FSIZE, n, n)) }
        if cgroup == nil, let m = spec.limits.memoryBytes { limits.append((aal_RLIMIT_AS, m, m)) }
        baseRlimits = limits
    }

    /// Builds a sandbox from a spec.
    public static func create(_ spec: SandboxSpec, runtime: SandboxRuntime? = nil) async throws -> Sandbox {
        try spec.validate()
        let runtime = try runtime ?? SandboxRuntime.shared()
        let name = SandboxRuntime.nextName()
        let bpf = try runtime.seccompPrograms(spec.seccomp)
        if case .directory(let layer) = spec.writableLayer {
            try prepareWritableLayer(layer, keys: overlays(spec, runtime: runtime).map { HostBase.layerKey($0.0) }, runtime: runtime)
        }
        let spawner = try runtime.acquireSpawner()
        spawner.resetOOMBaseline()
        let group = spawner.slot
        let created: WireMessage
        do {
            if let group, spawner.appliedLimits.withLock({ $0 != spec.limits }) {
                do throws(SystemCallError) {
                    try runtime.cgroups?.apply(spec.limits, to: group)
                } catch {
                    throw SandboxError(.cgroupFailed, error)
                }
                spawner.appliedLimits.withLock { $0 = spec.limits }
            }
            created = try await spawner.create(createMessage(spec, runtime: runtime, bpf: bpf))
        } catch {
            runtime.releaseSpawner(spawner)
            throw error
        }
        let pid = Int32(created.int(AAL_K_PID) ?? 0)
        let sandbox = Sandbox(spec: spec, name: name, initPID: pid, runtime: runtime, spawner: spawner, cgroup: group)
        do {
            let ch = try ControlChannel(
                fd: created.fds[0],
                onMessage: { [weak sandbox] in sandbox?.receive($0) },
                onClose: { [weak sandbox] in sandbox?.initGone() })
            sandbox.channel.withLock { $0 = ch }
        } catch {
            close(created.fds[0])
            await sandbox.destroy()
            throw SandboxError(.internalError, error)
        }
        if let wall = spec.limits.wallTimeSeconds {
            let timer = Task { [weak sandbox] in
                try? await Task.sleep(for: .seconds(wall))
                guard !Task.isCancelled, let sandbox else { return }
                sandbox.state.withLock { $0.wallClockExpired = true }
                sandbox.runtime.logger.debug("wall-clock limit reached", metadata: ["sandbox": "\(sandbox.name)"])
                await sandbox.destroy()
            }
            sandbox.wallTimer.withLock { $0 = timer }
        }
        return sandbox
    }

    /// Creates a sandbox, runs one command in it and destroys it.
    public static func run(_ spec: SandboxSpec, _ request: ExecRequest, runtime: SandboxRuntime? = nil) async throws -> ExecResult {
        let sandbox = try await create(spec, runtime: runtime)
        do {
            let result = try await sandbox.exec(request)
            await sandbox.destroy()
            return result
        } catch {
            await sandbox.destroy()
            throw error
        }
    }

    private static func prepareWritableLayer(_ layer: String, keys: [String], runtime: SandboxRuntime) throws(SandboxError) {
        let work = workDirectory(for: layer)
        HostBase.removeTree(work)
        let root = runtime.hostID(forInside: 0)
        for dir in [layer, work] + keys.flatMap({ [layer + "/" + $0, work + "/" + $0] }) {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw SandboxError(.invalidSpec, step: "writableLayer", detail: "cannot create \(dir)", underlying: .init(rawValue: errno))
            }
        }
        for key in keys { _ = chown(layer + "/" + key, root, root) }
    }

    private static func createMessage(_ spec: SandboxSpec, runtime: SandboxRuntime, bpf: [[UInt8]]) -> WireMessage {
        var m = WireMessage(AAL_M_CREATE)
        let config = runtime.configuration
        m.add(AAL_K_HOSTNAME, spec.hostname)
        if spec.network == .host { m.add(AAL_K_NET_HOST, "1") }
        m.add(AAL_K_STAGE, config.stageDirectory)
        m.add(AAL_K_ROOT_HOST_UID, config.idBase)
        m.add(AAL_K_ROOT_HOST_GID, config.idBase)
        m.add(AAL_K_UID_MAP, "0 \(config.idBase) \(config.idCount)\n")
        m.add(AAL_K_GID_MAP, "0 \(config.idBase) \(config.idCount)\n")
        m.add(AAL_K_DISK_BYTES, spec.limits.diskBytes)
        m.add(AAL_K_SHM_BYTES, spec.limits.shmBytes)
        for (target, lowers) in overlays(spec, runtime: runtime) {
            m.add(AAL_K_OVERLAY, target)
            for (path, how) in lowers { m.add(AAL_K_LOWER, parts: [path, how]) }
            if case .directory(let layer) = spec.writableLayer {
                let key = HostBase.layerKey(target)
                m.add(AAL_K_UPPER, parts: [layer + "/" + key, workDirectory(for: layer) + "/" + key])
            }
        }
        for mount in spec.mounts {
            switch mount {
            case .bind(let source, let destination, let readOnly):
                m.add(AAL_K_BIND, parts: [source, destination, readOnly ? "ro" : "rw"])
            case .tmpfs(let destination, let size):
                m.add(AAL_K_TMPFS, parts: [destination, String(size), "1777"])
            }
        }
        if !spec.capabilities.isEmpty {
            m.add(AAL_K_CAPS, spec.capabilities.map { String($0.rawValue) }.joined(separator: ","))
        }
        m.add(AAL_K_MASK_SOURCE, runtime.base.mounts.maskSource)
        if spec.network == .host {
            for path in HostBase.maskedPaths { m.add(AAL_K_MASK_PATH, path) }
        } else {
            m.add(AAL_K_SYSFS, runtime.base.mounts.slotSysfs) // the slot's sysfs comes masked
            for path in HostBase.maskedPaths where !path.hasPrefix("/sys/") { m.add(AAL_K_MASK_PATH, path) }
        }
        for path in HostBase.readOnlyPaths { m.add(AAL_K_RO_PATH, path) }
        for program in bpf where !program.isEmpty { m.add(AAL_K_SECCOMP, program) }
        return m
    }

    /// The overlays of a spec: mount point inside and lower layers, top first, as (path, how):
    /// "0" as it is, "1" id-mapped, "d" by its path (a clone the spawner already attached, or a
    /// directory of the runtime's host base).
    static func overlays(_ spec: SandboxSpec, runtime: SandboxRuntime) -> [(String, [(String, String)])] {
        func layerParts(_ key: String) -> [(String, String)] {
            spec.layers.map { $0 + "/" + key }.filter { HostBase.isDirectory($0) }.map { ($0, "0") }
        }
        switch spec.rootfs {
        case .directory(let path):
            return [("/", layerParts("root") + [(path, "1")])]
        case .host:
            let base = runtime.base
            var result: [(String, [(String, String)])] = [("/", layerParts("root") + [(base.skeleton, "d")])]
            for dir in base.mounts.directories {
                var lowers = layerParts(HostBase.layerKey(dir))
                if dir == "/etc" { lowers.append((base.etcMask, "d")) }
                lowers.append(base.mounts.attachPoints[dir].map { ($0, "d") } ?? (dir, "1"))
                result.append((dir, lowers))
            }
            return result
        }
    }

    /// The overlay work directory that goes with a persistent writable layer (a sibling of it).
    static func workDirectory(for upper: String) -> String {
        var trimmed = upper
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed + ".work"
    }

    /// Runs a command and waits for it. Throws if it cannot start or the sandbox goes away;
    /// a command that runs out of time returns with `timedOut` set.
    public func exec(_ request: ExecRequest) async throws -> ExecResult {
        let argv = request.argv
        guard !argv.isEmpty, !argv[0].isEmpty else { throw SandboxError(.invalidSpec, step: "command", detail: "empty argv") }
        let spawner = self.spawner
        let op: ExecOperation = try state.withLock { s throws(SandboxError) in
            if let t = s.terminated { throw t }
            let id = s.nextExec
            s.nextExec += 1
            let op = ExecOperation(id: id, limit: request.outputLimit ?? spec.limits.outputBytes) {
                spawner.sawNewOOMKill()
            }
            s.execs[id] = op
            return op
        }
        var message = WireMessage(AAL_M_EXEC)
        message.add(AAL_K_EXEC_ID, op.id)
        for arg in argv { message.add(AAL_K_ARG, arg) }
        for entry in request.environment ?? spec.environment { message.add(AAL_K_ENV, entry) }
        message.add(AAL_K_CWD, request.workingDirectory ?? spec.workingDirectory)
        message.add(AAL_K_UID, request.uid ?? spec.uid)
        message.add(AAL_K_GID, request.gid ?? spec.gid)
        for (resource, soft, hard) in baseRlimits { message.add(AAL_K_RLIMIT, parts: [String(resource), String(soft), String(hard)]) }
        do throws(SandboxError) {
            var owned: [Int32] = []
            if let p = request.passthrough {
                op.passThrough()
                message.fds = [p.stdin, p.stdout, p.stderr]
            } else {
                owned = try op.openPipes(stdin: request.stdin, devNull: runtime.devNull)
                message.fds = owned
            }
            defer { for fd in owned where fd != runtime.devNull { close(fd) } }
            try op.watch()
            try channel.withLock { ch throws(SandboxError) in
                guard let ch else { throw SandboxError(.terminated, step: "exec", detail: name) }
                do throws(SystemCallError) { try ch.send(message) } catch { throw SandboxError(.terminated, error) }
            }
        } catch {
            _ = state.withLock { $0.execs.removeValue(forKey: op.id) }
            op.fail(error)
            throw error
        }
        var timer: Task<Void, Never>?
        if let timeout = request.timeoutSeconds {
            timer = Task { [weak self, weak op] in
                try? await Task.sleep(for: .seconds(timeout))
                guard !Task.isCancelled, let self, let op else { return }
                op.markTimedOut()
                self.signal(execID: op.id, SIGKILL)
            }
        }
        defer { timer?.cancel() }
        let result = try await op.wait()
        _ = state.withLock { $0.execs.removeValue(forKey: op.id) }
        return result
    }

    private func signal(execID: Int, _ sig: Int32) {
        var m = WireMessage(AAL_M_SIGNAL)
        m.add(AAL_K_EXEC_ID, execID)
        m.add(AAL_K_SIGNAL, sig)
        channel.withLock { ch in try? ch?.send(m) }
    }

    /// Kills every process in the sandbox but its init, including daemons that left their
    /// session; returns when none is left. The sandbox stays usable.
    public func killAll() async throws {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
            let terminated = state.withLock { s -> SandboxError? in
                if let t = s.terminated { return t }
                s.killWaiters.append(cont)
                return nil
            }
            if let terminated {
                cont.resume(throwing: terminated)
                return
            }
            channel.withLock { ch in try? ch?.send(WireMessage(AAL_M_KILL_ALL)) }
        }
    }

    /// Kills everything in the sandbox and removes it. Safe to call more than once and from
    /// several tasks: every call returns once the sandbox is gone.
    public func destroy() async {
        let first = state.withLock { s -> Bool in
            defer { s.destroyStarted = true }
            return !s.destroyStarted
        }
        guard first else {
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let done = state.withLock { s -> Bool in
                    if s.destroyFinished { return true }
                    s.destroyWaiters.append(cont)
                    return false
                }
                if done { cont.resume() }
            }
            return
        }
        wallTimer.withLock { t in
            t?.cancel()
            t = nil
        }
        kill(initPID, SIGKILL)
        await spawner.waitReaped(initPID)
        channel.withLock { ch in
            ch?.close()
            ch = nil
        }
        terminate(SandboxError(.terminated, step: "destroy", detail: name))
        runtime.releaseSpawner(spawner)
        if case .directory(let layer) = spec.writableLayer { HostBase.removeTree(Sandbox.workDirectory(for: layer)) }
        let waiters = state.withLock { s in
            s.destroyFinished = true
            defer { s.destroyWaiters = [] }
            return s.destroyWaiters
        }
        for w in waiters { w.resume() }
    }

    private func receive(_ message: WireMessage) {
        let type = Int(message.type)
        if type == Int(AAL_M_KILLED_ALL.rawValue) {
            let waiters = state.withLock { s in
                defer { s.killWaiters = [] }
                return s.killWaiters
            }
            for w in waiters { w.resume() }
            return
        }
        guard let id = message.int(AAL_K_EXEC_ID), let op = state.withLock({ $0.execs[id] }) else { return }
        switch type {
        case Int(AAL_M_EXITED.rawValue):
            op.exited(
                pid: Int32(message.int(AAL_K_PID) ?? 0),
                status: Int32(truncatingIfNeeded: message.int(AAL_K_STATUS) ?? 0),
                userMicros: message.int(AAL_K_UTIME_US) ?? 0, systemMicros: message.int(AAL_K_STIME_US) ?? 0,
                maxRSS: message.int(AAL_K_MAXRSS_KB) ?? 0)
        case Int(AAL_M_EXEC_FAILED.rawValue):
            let code = message.int(AAL_K_ERRNO) ?? 0
            op.fail(SandboxError(
                .execFailed, step: message.string(AAL_K_STEP) ?? "exec", detail: message.string(AAL_K_DETAIL) ?? "",
                underlying: code == 0 ? nil : .init(rawValue: Int32(code))))
        default:
            break
        }
    }

    /// The init's socket closed: the sandbox died (destroyed, wall clock, or killed from outside).
    private func initGone() {
        let expired = state.withLock { $0.wallClockExpired }
        if expired {
            let ops = state.withLock { Array($0.execs.values) }
            for op in ops { op.markTimedOut() }
        }
        terminate(SandboxError(.terminated, step: expired ? "wall-clock limit" : "init exited", detail: name))
    }

    private func terminate(_ error: SandboxError) {
        let (ops, waiters, expired) = state.withLock { s in
            if s.terminated == nil { s.terminated = error }
            defer { s.killWaiters = [] }
            return (Array(s.execs.values), s.killWaiters, s.wallClockExpired)
        }
        for op in ops {
            if expired {
                op.markTimedOut()
                op.exited(pid: 0, status: SIGKILL, userMicros: 0, systemMicros: 0, maxRSS: 0)
            } else {
                op.fail(error)
            }
        }
        for w in waiters { w.resume(throwing: error) }
    }
}
