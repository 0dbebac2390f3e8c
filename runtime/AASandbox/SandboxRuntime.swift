import CAutoAgentLinux
import Glibc
import Logging
import Synchronization
import SystemPackage

/// The process-wide sandbox machinery: the spawner processes, the cgroup hierarchy, the compiled
/// seccomp policies and the host's default root filesystem layout. Create one per process
/// (or use `shared`); it cleans up stale state of dead runners when it starts.
public final class SandboxRuntime: Sendable {
    public struct Configuration: Sendable {
        /// Path of the aa-sandbox-init helper; nil: $AA_SANDBOX_INIT, else next to the executable.
        public var initBinary: String?
        /// Host uid/gid that root inside the sandbox maps to, and how many ids are mapped.
        public var idBase: UInt32 = 100_000
        public var idCount: UInt32 = 65_536
        /// Idle sandbox slots (a spawner process in its own cgroups) kept ready; more are made on
        /// demand, one per live sandbox.
        public var spawners: Int = max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        /// Whether sandboxes get cgroups (memory, pids and CPU limits). Without, those limits fall
        /// back to rlimits; a runtime for sandboxes that set none of them can skip the cgroup work.
        public var cgroups = true
        /// Where the runtime keeps its own state (the host base layers).
        public var stateDirectory = "/run/aa-sandbox"
        /// Host directory the staging tmpfs is mounted over inside each new mount namespace; bind
        /// sources must not lie below it.
        public var stageDirectory = "/run/aa-sandbox/stage"

        public init() {}
    }

    public let configuration: Configuration
    /// The aa-sandbox-init binary in use (static: it also runs inside any rootfs, e.g. as the probe).
    public let initBinary: String
    let logger: Logger
    let cgroups: Cgroups?
    /// The host base's mount points, which do not change while the runtime lives.
    let baseMounts: HostBase.Mounts
    /// The host base in use and the ones it replaced, with their locks and when they were replaced
    /// (sandboxes made from them may still be setting up for a while).
    private let bases: Mutex<(current: HostBase, replaced: [(lockFD: Int32, since: ContinuousClock.Instant)])>
    let devNull: Int32
    private let binary: String
    private let pool = Mutex<(idle: [Spawner], all: [ObjectIdentifier: Spawner])>(([], [:]))
    private let seccompCache = Mutex<[SandboxSpec.SeccompPolicy: [[UInt8]]]>([:])
    private let setupWatch = SetupWatch()
    /// Names are unique in the process even with several runtimes: aa-<pid>-<n>.
    private static let counter = Mutex(0)

    private static let sharedRuntime = Mutex<Result<SandboxRuntime, SandboxError>?>(nil)

    /// A runtime with the default configuration, created on first use.
    public static func shared(logger: Logger = Logger(label: "aa.sandbox")) throws(SandboxError) -> SandboxRuntime {
        let result = sharedRuntime.withLock { slot -> Result<SandboxRuntime, SandboxError> in
            if let slot { return slot }
            let made: Result<SandboxRuntime, SandboxError>
            do throws(SandboxError) {
                made = .success(try SandboxRuntime(configuration: Configuration(), logger: logger))
            } catch {
                made = .failure(error)
            }
            slot = made
            return made
        }
        return try result.get()
    }

    public init(configuration: Configuration, logger: Logger) throws(SandboxError) {
        self.configuration = configuration
        self.logger = logger
        guard geteuid() == 0 else {
            throw SandboxError(.unsupported, step: "privileges", detail: "the sandbox runtime needs root (it maps root inside to an unprivileged host id range)")
        }
        let binary = try Self.locateInit(configuration.initBinary)
        initBinary = binary
        cgroups = configuration.cgroups ? Cgroups.detect(logger: logger) : nil
        if cgroups == nil && configuration.cgroups {
            logger.warning("no usable cgroup hierarchy: memory, pids and cpu limits fall back to rlimits")
        }
        _ = cgroups?.sweep(logger: logger)
        if mkdir(configuration.stateDirectory, 0o700) != 0 && errno != EEXIST {
            throw SandboxError(.unsupported, step: "mkdir", detail: configuration.stateDirectory, underlying: .init(rawValue: errno))
        }
        if mkdir(configuration.stageDirectory, 0o700) != 0 && errno != EEXIST {
            throw SandboxError(.unsupported, step: "mkdir", detail: configuration.stageDirectory, underlying: .init(rawValue: errno))
        }
        let mounts = try HostBase.Mounts(in: configuration.stateDirectory)
        // The spawners set themselves up on other cores while this thread scans /etc for the base.
        var started: [Spawner] = []
        let base: HostBase
        do throws(SandboxError) {
            for _ in 0..<max(1, configuration.spawners) {
                started.append(try Self.startSpawner(binary: binary, configuration: configuration, cgroups: cgroups, mounts: mounts))
            }
            base = try HostBase.open(in: configuration.stateDirectory, rootID: configuration.idBase, mounts: mounts)
        } catch {
            for spawner in started {
                spawner.shutdown()
                if let slot = spawner.slot { cgroups?.remove(slot) }
            }
            throw error
        }
        HostBase.sweep(configuration.stateDirectory, keeping: base.root)
        baseMounts = mounts
        bases = Mutex((base, []))
        devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        self.binary = binary
        pool.withLock { p in
            p.idle = started
            for spawner in started { p.all[ObjectIdentifier(spawner)] = spawner }
        }
        logger.debug("sandbox runtime ready", metadata: ["slots": "\(configuration.spawners)", "init": "\(binary)"])
    }

    private static func locateInit(_ configured: String?) throws(SandboxError) -> String {
        var candidates: [String] = []
        if let configured { candidates.append(configured) }
        if let env = getenv("AA_SANDBOX_INIT") { candidates.append(String(cString: env)) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            candidates.append(dir + "/aa-sandbox-init")
        }
        for path in candidates where access(path, X_OK) == 0 { return path }
        throw SandboxError(.unsupported, step: "locate aa-sandbox-init", detail: "looked in \(candidates.joined(separator: ", ")); build it with `swift build` or set AA_SANDBOX_INIT")
    }

    /// Where, in a layer directory, the file that appears at `path` inside a sandbox lives: what a
    /// builder writes there appears in every sandbox that stacks the layer (ids are shifted: chown
    /// to `hostID(forInside:)`).
    public func hostPath(inLayer layer: String, forInside path: String, rootfs: SandboxSpec.Rootfs) -> String {
        if case .host = rootfs {
            for dir in baseMounts.directories.sorted(by: { $0.count > $1.count }) where path == dir || path.hasPrefix(dir + "/") {
                return layer + "/" + HostBase.layerKey(dir) + path.dropFirst(dir.count)
            }
        }
        return layer + "/root" + (path == "/" ? "" : path)
    }

    /// The host base, made again when a host directory it was planned from has changed.
    func currentBase() throws(SandboxError) -> HostBase {
        let base = bases.withLock { $0.current }
        if base.plan.isCurrent { return base }
        let fresh = try HostBase.open(in: configuration.stateDirectory, rootID: configuration.idBase, mounts: baseMounts)
        logger.debug("host base changed", metadata: ["base": "\(fresh.root)"])
        let now = ContinuousClock.now
        let released = bases.withLock { b -> Bool in
            if b.current.root != fresh.root { b.replaced.append((b.current.lockFD, now)) } else { close(b.current.lockFD) }
            b.current = fresh
            // Past the set-up deadline no sandbox can still be building on an old base.
            let old = b.replaced.filter { now - $0.since > .seconds(2 * Sandbox.setupTimeoutSeconds) }
            for entry in old { close(entry.lockFD) }
            b.replaced.removeAll { now - $0.since > .seconds(2 * Sandbox.setupTimeoutSeconds) }
            return !old.isEmpty
        }
        if released { HostBase.sweep(configuration.stateDirectory, keeping: fresh.root) }
        return fresh
    }

    /// Ends the sandbox if it is not built by the deadline.
    func watchSetup(_ sandbox: Sandbox, deadline: ContinuousClock.Instant) {
        setupWatch.watch(sandbox, deadline: deadline)
    }

    /// Host uid that an id inside the sandbox maps to.
    public func hostID(forInside id: UInt32) -> UInt32 { configuration.idBase + id }

    /// The compiled program of a policy; the built-in ones are compiled once, profile files every
    /// time (they may change between sandboxes).
    func seccompPrograms(_ policy: SandboxSpec.SeccompPolicy) throws(SandboxError) -> [[UInt8]] {
        if case .profile = policy { return try Seccomp.compile(policy) }
        if let cached = seccompCache.withLock({ $0[policy] }) { return cached }
        let program = try Seccomp.compile(policy)
        seccompCache.withLock { $0[policy] = program }
        return program
    }

    static func nextName() -> String {
        let n = counter.withLock { c -> Int in
            c += 1
            return c
        }
        return "aa-\(getpid())-\(n)"
    }

    private func makeSpawner() throws(SandboxError) -> Spawner {
        let spawner = try Self.startSpawner(binary: binary, configuration: configuration, cgroups: cgroups, mounts: baseMounts)
        pool.withLock { $0.all[ObjectIdentifier(spawner)] = spawner }
        return spawner
    }

    /// Makes a slot's cgroups and starts its spawner there.
    private static func startSpawner(
        binary: String, configuration: Configuration, cgroups: Cgroups?, mounts: HostBase.Mounts
    ) throws(SandboxError) -> Spawner {
        let slot = try cgroups?.create(name: nextName())
        let uidMap = "0 \(configuration.idBase) \(configuration.idCount)\n"
        do {
            return try Spawner(initBinary: binary, uidMap: uidMap, gidMap: uidMap, slot: slot, mounts: mounts)
        } catch {
            if let slot { cgroups?.remove(slot) }
            throw error
        }
    }

    /// The cgroup directories of this runtime's sandbox slots (each holds one spawner and, while
    /// it lives, one sandbox).
    public var slotDirectories: [String] {
        pool.withLock { p in p.all.values.flatMap { $0.slot?.directories.values.sorted() ?? [] } }
    }

    /// A free sandbox slot: an idle spawner, or a new one.
    func acquireSpawner() throws(SandboxError) -> Spawner {
        while let idle = pool.withLock({ $0.idle.popLast() }) {
            if !idle.isClosed { return idle }
            retire(idle)
        }
        return try makeSpawner()
    }

    /// Returns a slot whose sandbox is gone; beyond the idle target it is retired, and so is a slot
    /// whose sandbox could reach state its user namespace keeps after it (a seccomp policy other than
    /// the default one may allow keyrings, which live as long as that namespace).
    func releaseSpawner(_ spawner: Spawner, reusable: Bool = true) {
        let kept = pool.withLock { p -> Bool in
            guard reusable, !spawner.isClosed, p.idle.count < max(1, configuration.spawners) else { return false }
            p.idle.append(spawner)
            return true
        }
        if !kept { retire(spawner) }
    }

    private func retire(_ spawner: Spawner) {
        _ = pool.withLock { $0.all.removeValue(forKey: ObjectIdentifier(spawner)) }
        spawner.shutdown()
        if let slot = spawner.slot { cgroups?.remove(slot) }
    }

    /// Stops every spawner (their sandboxes die with them), removes their cgroups and releases
    /// the shared host base.
    public func shutdown() {
        let all = pool.withLock { p -> [Spawner] in
            defer { p = ([], [:]) }
            return Array(p.all.values)
        }
        for s in all {
            s.shutdown()
            if let slot = s.slot { cgroups?.remove(slot) }
        }
        bases.withLock { b in
            close(b.current.lockFD)
            for entry in b.replaced { close(entry.lockFD) }
        }
    }
}
