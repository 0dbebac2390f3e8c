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

    /// How long building a sandbox may take before it is killed.
    static let setupTimeoutSeconds = 30.0

    private struct State {
        var nextExec = 1
        var execs: [Int: ExecOperation] = [:]
        var killWaiters: [CheckedContinuation<Void, any Error>] = []
        var terminated: SandboxError?
        var wallClockExpired = false
        /// The init said it is built (READY), or building it failed (`setupFailure`).
        var ready = false
        var setupFailure: SandboxError?
        var readyWaiters: [CheckedContinuation<Void, any Error>] = []
        /// The init's pidfd became readable: every process and mount of the sandbox is gone.
        var exited = false
        var exitHandlers: [@Sendable () -> Void] = []
        var destroyStarted = false
        var destroyFinished = false
        var destroyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let runtime: SandboxRuntime
    private let spawner: Spawner
    private let cgroup: Cgroups.Group?
    private let state = Mutex(State())
    private let channel = Mutex<ControlChannel?>(nil)
    /// A pidfd of the init, whether it is still open, and its reactor token.
    private let pidfd: Int32
    private let pidfdState = Mutex<(open: Bool, token: UInt64?)>((true, nil))
    private let baseRlimits: [(Int32, Int, Int)]
    private let wallTimer = Mutex<Task<Void, Never>?>(nil)

    private init(spec: SandboxSpec, name: String, initPID: Int32, pidfd: Int32, runtime: SandboxRuntime, spawner: Spawner, cgroup: Cgroups.Group?) {
        self.spec = spec
        self.name = name
        self.initPID = initPID
        self.pidfd = pidfd
        self.runtime = runtime
        self.spawner = spawner
        self.cgroup = cgroup
        baseRlimits = Self.rlimits(spec, cgroup: cgroup)
    }

    deinit {
        closePidfd()
    }

    private static func rlimits(_ spec: SandboxSpec, cgroup: Cgroups.Group?) -> [(Int32, Int, Int)] {
        var limits: [(Int32, Int, Int)] = [(aal_RLIMIT_CORE, 0, 0)]
        if let n = spec.limits.openFiles { limits.append((aal_RLIMIT_NOFILE, n, n)) }
        if let n = spec.limits.processes { limits.append((aal_RLIMIT_NPROC, n, n)) }
        if let n = spec.limits.fileSizeBytes { limits.append((aal_RLIMIT_FSIZE, n, n)) }
        if cgroup == nil, let m = spec.limits.memoryBytes { limits.append((aal_RLIMIT_AS, m, m)) }
        return limits
    }

    /// Builds a sandbox from a spec.
    public static func create(_ spec: SandboxSpec, runtime: SandboxRuntime? = nil) async throws -> Sandbox {
        let (sandbox, _) = try await make(spec, runtime: runtime, first: nil)
        do {
            try await sandbox.waitReady()
        } catch {
            await sandbox.destroy()
            throw error
        }
        return sandbox
    }

    /// Creates a sandbox, runs one command in it and destroys it. The command travels with the
    /// request that builds the sandbox and starts as soon as it is built; the sandbox ends (with
    /// every process the command left behind) as soon as the command has. `started` is handed the
    /// sandbox once the spawner has made it (to show it, or to destroy it early: the run then
    /// throws).
    public static func run(
        _ spec: SandboxSpec, _ request: ExecRequest, runtime: SandboxRuntime? = nil, started: (@Sendable (Sandbox) -> Void)? = nil
    ) async throws -> ExecResult {
        let (sandbox, first) = try await make(spec, runtime: runtime, first: request)
        started?(sandbox)
        let outcome = await sandbox.awaitOneShot(first!, request)
        await sandbox.destroy() // the init has exited: this only releases the slot
        return try outcome.get()
    }

    /// Asks a slot's spawner for a sandbox, with its first command if given (registered as exec 1).
    private static func make(_ spec: SandboxSpec, runtime: SandboxRuntime?, first: ExecRequest?) async throws -> (Sandbox, ExecOperation?) {
        try spec.validate()
        if let first { try validate(first) }
        let runtime = try runtime ?? SandboxRuntime.shared()
        let name = SandboxRuntime.nextName()
        let bpf = try runtime.seccompPrograms(spec.seccomp)
        let base = try runtime.currentBase()
        if case .directory(let layer) = spec.writableLayer {
            try prepareWritableLayer(layer, keys: overlays(spec, base: base).map { HostBase.layerKey($0.0) }, runtime: runtime)
        }
        let spawner = try runtime.acquireSpawner()
        spawner.resetOOMBaseline()
        let group = spawner.slot
        var message = createMessage(spec, runtime: runtime, base: base, bpf: bpf)
        var op: ExecOperation?
        var owned: [Int32] = []
        defer { for fd in owned where fd != runtime.devNull { close(fd) } }
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
            if let first {
                let operation = ExecOperation(id: 1, limit: first.outputLimit ?? spec.limits.outputBytes) { spawner.sawNewOOMKill() }
                owned = try attach(first, as: operation, to: &message, spec: spec, rlimits: rlimits(spec, cgroup: group), devNull: runtime.devNull)
                message.add(AAL_K_ONE_SHOT, "1")
                op = operation
            }
            created = try await spawner.create(message)
        } catch {
            if let sandboxError = error as? SandboxError { op?.fail(sandboxError) }
            runtime.releaseSpawner(spawner)
            throw error
        }
        let pid = Int32(created.int(AAL_K_PID) ?? 0)
        let sandbox = Sandbox(spec: spec, name: name, initPID: pid, pidfd: created.fds[1], runtime: runtime, spawner: spawner, cgroup: group)
        if let op {
            sandbox.state.withLock { s in
                s.execs[op.id] = op
                s.nextExec = op.id + 1
            }
        }
        do {
            let token = try Reactor.shared.add(fd: created.fds[1], events: aal_EPOLLIN) { [weak sandbox] _ in sandbox?.initExited() }
            sandbox.pidfdState.withLock { $0.token = token }
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
        runtime.watchSetup(sandbox, deadline: .now + .seconds(setupTimeoutSeconds))
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
        return (sandbox, op)
    }

    private static func validate(_ request: ExecRequest) throws(SandboxError) {
        let argv = request.argv
        guard !argv.isEmpty, !argv[0].isEmpty else { throw SandboxError(.invalidSpec, step: "command", detail: "empty argv") }
    }

    /// Adds an exec request's fields and descriptors to a message (an EXEC, or a CREATE that starts
    /// the command) and starts watching its pipes; returns the descriptors to close once it is sent.
    private static func attach(
        _ request: ExecRequest, as op: ExecOperation, to message: inout WireMessage, spec: SandboxSpec,
        rlimits: [(Int32, Int, Int)], devNull: Int32
    ) throws(SandboxError) -> [Int32] {
        message.add(AAL_K_EXEC_ID, op.id)
        for arg in request.argv { message.add(AAL_K_ARG, arg) }
        for entry in request.environment ?? spec.environment { message.add(AAL_K_ENV, entry) }
        message.add(AAL_K_CWD, request.workingDirectory ?? spec.workingDirectory)
        message.add(AAL_K_UID, request.uid ?? spec.uid)
        message.add(AAL_K_GID, request.gid ?? spec.gid)
        for (resource, soft, hard) in rlimits { message.add(AAL_K_RLIMIT, parts: [String(resource), String(soft), String(hard)]) }
        var owned: [Int32] = []
        if let p = request.passthrough {
            op.passThrough()
            message.fds = [p.stdin, p.stdout, p.stderr]
        } else {
            owned = try op.openPipes(stdin: request.stdin, devNull: devNull)
            message.fds = owned
        }
        do throws(SandboxError) {
            try op.watch()
        } catch {
            for fd in owned where fd != devNull { close(fd) }
            throw error
        }
        return owned
    }

    /// Waits until the init says the sandbox is built, or why it could not be.
    private func waitReady() async throws {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { s -> Result<Void, SandboxError>? in
                if let failure = s.setupFailure ?? s.terminated { return .failure(failure) }
                if s.ready { return .success(()) }
                s.readyWaiters.append(cont)
                return nil
            }
            switch outcome {
            case .success?: cont.resume()
            case .failure(let e)?: cont.resume(throwing: e)
            case nil: break
            }
        }
    }

    /// Building the sandbox failed or took too long: every waiter learns why.
    private func setupFailed(_ error: SandboxError) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            if s.ready || s.setupFailure != nil { return [] }
            s.setupFailure = error
            defer { s.readyWaiters = [] }
            return s.readyWaiters
        }
        for w in waiters { w.resume(throwing: error) }
        terminate(error)
    }

    /// Called by the runtime's set-up watch when the deadline passed.
    func setupDeadlinePassed() {
        guard !state.withLock({ $0.ready || $0.setupFailure != nil }) else { return }
        setupFailed(SandboxError(.setupFailed, step: "wait for sandbox set-up", detail: "not built after \(Int(Self.setupTimeoutSeconds)) s", underlying: .timedOut))
        signalInit(SIGKILL)
    }

    /// Whether the init has said it is built or failed (the set-up watch stops looking then).
    var setupSettled: Bool { state.withLock { $0.ready || $0.setupFailure != nil || $0.exited } }

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

    private static func createMessage(_ spec: SandboxSpec, runtime: SandboxRuntime, base: HostBase, bpf: [[UInt8]]) -> WireMessage {
        var m = WireMessage(AAL_M_CREATE)
        let config = runtime.configuration
        m.add(AAL_K_HOSTNAME, spec.hostname)
        if spec.network == .host { m.add(AAL_K_NET_HOST, "1") }
        m.add(AAL_K_STAGE, config.stageDirectory)
        m.add(AAL_K_ROOT_HOST_UID, config.idBase)
        m.add(AAL_K_ROOT_HOST_GID, config.idBase)
        m.add(AAL_K_DISK_BYTES, spec.limits.diskBytes)
        m.add(AAL_K_SHM_BYTES, spec.limits.shmBytes)
        if usesHostRoot(spec) { m.add(AAL_K_MASK_TREE, base.hostMask) }
        for (target, lowers) in overlays(spec, base: base) {
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
        m.add(AAL_K_MASK_SOURCE, base.mounts.maskSource)
        m.add(AAL_K_DEV_TREE, base.mounts.devTree)
        if spec.network == .host {
            for path in base.mounts.maskedPaths { m.add(AAL_K_MASK_PATH, path) }
        } else {
            m.add(AAL_K_SYSFS, base.mounts.slotSysfs) // the slot's sysfs comes masked
            for path in base.mounts.maskedPaths where !path.hasPrefix("/sys/") { m.add(AAL_K_MASK_PATH, path) }
        }
        for path in base.mounts.readOnlyPaths { m.add(AAL_K_RO_PATH, path) }
        for program in bpf where !program.isEmpty { m.add(AAL_K_SECCOMP, program) }
        return m
    }

    /// Whether a spec's root is the host's own `/` under a mask (one overlay) rather than the
    /// per-directory layout that image layers and persistent writable layers are made in.
    static func usesHostRoot(_ spec: SandboxSpec) -> Bool {
        guard case .host = spec.rootfs, case .tmpfs = spec.writableLayer else { return false }
        return spec.layers.isEmpty
    }

    /// The overlays of a spec: mount point inside and lower layers, top first, as (path, how):
    /// "0" as it is, "1" id-mapped, "d" by its path (a clone the spawner already attached, the
    /// spawner's copy of the host-root mask, or a directory of the runtime's host base).
    static func overlays(_ spec: SandboxSpec, base: HostBase) -> [(String, [(String, String)])] {
        func layerParts(_ key: String) -> [(String, String)] {
            spec.layers.map { $0 + "/" + key }.filter { HostBase.isDirectory($0) }.map { ($0, "0") }
        }
        func directoryOverlay(_ dir: String) -> (String, [(String, String)]) {
            var lowers = layerParts(HostBase.layerKey(dir))
            if dir == "/etc" { lowers.append((base.etcMask, "d")) }
            lowers.append(base.mounts.attachPoints[dir].map { ($0, "d") } ?? (dir, "1"))
            return (dir, lowers)
        }
        switch spec.rootfs {
        case .directory(let path):
            return [("/", layerParts("root") + [(path, "1")])]
        case .host where usesHostRoot(spec):
            return [("/", [(base.mounts.maskPoint, "d"), (base.mounts.hostRoot, "d")])] + base.mounts.separate.map(directoryOverlay)
        case .host:
            return [("/", layerParts("root") + [(base.skeleton, "d")])] + base.mounts.directories.map(directoryOverlay)
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
        try Self.validate(request)
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
        do throws(SandboxError) {
            let owned = try Self.attach(request, as: op, to: &message, spec: spec, rlimits: baseRlimits, devNull: runtime.devNull)
            defer { for fd in owned where fd != runtime.devNull { close(fd) } }
            try channel.withLock { ch throws(SandboxError) in
                guard let ch else { throw SandboxError(.terminated, step: "exec", detail: name) }
                do throws(SystemCallError) { try ch.send(message) } catch { throw SandboxError(.terminated, error) }
            }
        } catch {
            _ = state.withLock { $0.execs.removeValue(forKey: op.id) }
            op.fail(error)
            throw error
        }
        return try await waitForExec(op, request)
    }

    /// Waits for a started exec, killing it when its timeout passes.
    private func waitForExec(_ op: ExecOperation, _ request: ExecRequest) async throws -> ExecResult {
        let timer = startTimeout(op, request)
        defer { timer?.cancel() }
        let result = try await op.wait()
        _ = state.withLock { $0.execs.removeValue(forKey: op.id) }
        return result
    }

    /// Waits, with a single suspension, until a one-shot run's command has finished and the init
    /// has exited (the init of a one-shot run exits as soon as its command has).
    private func awaitOneShot(_ op: ExecOperation, _ request: ExecRequest) async -> Result<ExecResult, SandboxError> {
        let timer = startTimeout(op, request)
        defer { timer?.cancel() }
        let outcome = await withCheckedContinuation { (cont: CheckedContinuation<Result<ExecResult, SandboxError>, Never>) in
            let gate = Mutex<(result: Result<ExecResult, SandboxError>?, exited: Bool)>((nil, false))
            let settle: @Sendable ((inout (result: Result<ExecResult, SandboxError>?, exited: Bool)) -> Void) -> Void = { change in
                let ready = gate.withLock { g -> Result<ExecResult, SandboxError>? in
                    let wasReady = g.exited && g.result != nil
                    change(&g)
                    return !wasReady && g.exited ? g.result : nil
                }
                if let ready { cont.resume(returning: ready) }
            }
            op.whenFinished { result in settle { $0.result = result } }
            whenExited { settle { $0.exited = true } }
        }
        _ = state.withLock { $0.execs.removeValue(forKey: op.id) }
        return outcome
    }

    /// Kills the command when the request's timeout passes.
    private func startTimeout(_ op: ExecOperation, _ request: ExecRequest) -> Task<Void, Never>? {
        guard let timeout = request.timeoutSeconds else { return nil }
        return Task { [weak self, weak op] in
            try? await Task.sleep(for: .seconds(timeout))
            guard !Task.isCancelled, let self, let op else { return }
            op.markTimedOut()
            self.signal(execID: op.id, SIGKILL)
        }
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
        signalInit(SIGKILL)
        await waitExited()
        closePidfd()
        channel.withLock { ch in
            ch?.close()
            ch = nil
        }
        terminate(SandboxError(.terminated, step: "destroy", detail: name))
        runtime.releaseSpawner(spawner, reusable: spec.seccomp == .default)
        if case .directory(let layer) = spec.writableLayer { HostBase.removeTree(Sandbox.workDirectory(for: layer)) }
        let waiters = state.withLock { s in
            s.destroyFinished = true
            defer { s.destroyWaiters = [] }
            return s.destroyWaiters
        }
        for w in waiters { w.resume() }
    }

    /// Signals the init through its pidfd (never another process that reused its pid).
    private func signalInit(_ sig: Int32) {
        pidfdState.withLock { p in
            if p.open { _ = aal_pidfd_send_signal(pidfd, sig) }
        }
    }

    /// Returns once the init has exited (its pid namespace, and with it every process and mount of
    /// the sandbox, gone).
    private func waitExited() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            whenExited { cont.resume() }
        }
    }

    /// Calls handler once the init has exited (at once if it has, or if its exit cannot be watched).
    private func whenExited(_ handler: @escaping @Sendable () -> Void) {
        let done = state.withLock { s -> Bool in
            if s.exited || pidfdState.withLock({ $0.token == nil }) { return true }
            s.exitHandlers.append(handler)
            return false
        }
        if done { handler() }
    }

    /// The pidfd became readable: the init is gone.
    private func initExited() {
        Reactor.shared.mute(fd: pidfd)
        let handlers = state.withLock { s -> [@Sendable () -> Void] in
            s.exited = true
            defer { s.exitHandlers = [] }
            return s.exitHandlers
        }
        for h in handlers { h() }
    }

    private func closePidfd() {
        pidfdState.withLock { p in
            guard p.open else { return }
            if let t = p.token { Reactor.shared.remove(fd: pidfd, token: t) }
            close(pidfd)
            p = (false, nil)
        }
    }

    private func receive(_ message: WireMessage) {
        let type = Int(message.type)
        if type == Int(AAL_M_READY.rawValue) {
            let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
                s.ready = true
                defer { s.readyWaiters = [] }
                return s.readyWaiters
            }
            for w in waiters { w.resume() }
            return
        }
        if type == Int(AAL_M_FAILED.rawValue) {
            let code = message.int(AAL_K_ERRNO) ?? 0
            setupFailed(SandboxError(
                .setupFailed, step: message.string(AAL_K_STEP) ?? "create", detail: message.string(AAL_K_DETAIL) ?? "",
                underlying: code == 0 ? nil : .init(rawValue: Int32(code))))
            return
        }
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
                maxRSS: message.int(AAL_K_MAXRSS_KB) ?? 0, onReactor: true)
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
        let error = SandboxError(.terminated, step: expired ? "wall-clock limit" : "init exited", detail: name)
        setupFailed(error)
        terminate(error)
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
