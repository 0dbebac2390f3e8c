/// Everything that defines a sandbox: its root filesystem, mounts, environment, identity,
/// limits, network and seccomp policy. The defaults are the hardened policy.
public struct SandboxSpec: Sendable, Codable, Equatable {
    /// Where the read-only base of the root filesystem comes from.
    public enum Rootfs: Sendable, Codable, Equatable {
        /// Assembled from the host's system directories with nothing private in it.
        case host
        /// Any root filesystem directory (a debootstrap tree, an unpacked image).
        case directory(String)
    }

    /// An extra mount inside the sandbox.
    public enum Mount: Sendable, Codable, Equatable {
        case bind(source: String, destination: String, readOnly: Bool)
        case tmpfs(destination: String, sizeBytes: Int)
    }

    /// Where the sandbox's writes go.
    public enum WritableLayer: Sendable, Codable, Equatable {
        /// A tmpfs of `limits.diskBytes`, gone with the sandbox.
        case tmpfs
        /// A host directory that becomes the overlay's upper layer and keeps every write (deletions
        /// as overlay whiteouts), to be used later as one of `layers`. Not size-capped.
        case directory(String)
    }

    public enum Network: String, Sendable, Codable, Equatable {
        /// A private network namespace with loopback only.
        case none
        /// The host's network (opt-in).
        case host
    }

    public enum SeccompPolicy: Sendable, Codable, Hashable {
        /// The built-in allowlist (Docker's default profile plus what it misses).
        case `default`
        /// A Docker-format JSON profile file.
        case profile(path: String)
        /// No seccomp filter (only for debugging).
        case disabled
    }

    /// A capability that commands running as root inside may keep. It acts only inside the
    /// sandbox's own user namespace (on files and ids of its range), never on the host's mounts,
    /// network or devices, whose namespaces belong to the host; seccomp still applies.
    public enum Capability: Int32, Sendable, Codable, CaseIterable {
        case chown = 0, dacOverride = 1, dacReadSearch = 2, fowner = 3, fsetid = 4, kill = 5, setgid = 6, setuid = 7
        case setpcap = 8, netBindService = 10, netRaw = 13, sysChroot = 18, mknod = 27, auditWrite = 29, setfcap = 31

        /// Docker's default set, what package managers and `useradd` in a Dockerfile expect.
        public static let dockerDefault: [Capability] = [
            .chown, .dacOverride, .fowner, .fsetid, .kill, .setgid, .setuid, .setpcap, .netBindService, .netRaw,
            .sysChroot, .mknod, .auditWrite, .setfcap,
        ]

        /// Parses command-line names: CHOWN, CAP_CHOWN or cap_chown, and "docker" for `dockerDefault`;
        /// throws a message that lists the known names.
        public static func parse(_ names: [String], option: String) throws(SandboxError) -> [Capability] {
            var result: [Capability] = []
            for name in names {
                if name.lowercased() == "docker" {
                    result += dockerDefault
                } else if let cap = Capability(name: name) {
                    result.append(cap)
                } else {
                    let known = allCases.map(\.name).joined(separator: ", ")
                    throw SandboxError(.invalidSpec, step: option, detail: "unknown capability '\(name)' (known: \(known), docker)")
                }
            }
            return result
        }

        /// The kernel's name without the CAP_ prefix (DAC_OVERRIDE).
        public var name: String {
            var out = ""
            for ch in "\(self)" {
                if ch.isUppercase { out += "_" }
                out += ch.uppercased()
            }
            return out
        }

        /// Parses CHOWN, CAP_CHOWN or cap_chown.
        public init?(name: String) {
            var upper = name.uppercased()
            if upper.hasPrefix("CAP_") { upper.removeFirst(4) }
            let plain = upper.filter { $0 != "_" }
            guard let match = Capability.allCases.first(where: { $0.name.filter { $0 != "_" } == plain }) else { return nil }
            self = match
        }
    }

    /// Resource limits; nil means no limit of that kind.
    public struct Limits: Sendable, Codable, Equatable {
        public var memoryBytes: Int?
        /// Memory plus swap; defaults to memoryBytes (no swap).
        public var memorySwapBytes: Int?
        public var pids: Int?
        /// CPU bandwidth in cores (1.5 = one and a half cores).
        public var cpus: Double?
        /// Wall-clock lifetime of the sandbox in seconds; everything in it is killed after that.
        public var wallTimeSeconds: Double?
        /// Size of the writable layer (the tmpfs that holds every write to the root filesystem).
        public var diskBytes: Int
        /// Size of /dev/shm.
        public var shmBytes: Int
        /// Bytes of stdout and of stderr kept per exec; the rest is counted and dropped.
        public var outputBytes: Int
        /// RLIMIT_NOFILE for every process.
        public var openFiles: Int?
        /// RLIMIT_NPROC as a backstop to the pids cgroup.
        public var processes: Int?
        /// RLIMIT_FSIZE: the largest file a process may write.
        public var fileSizeBytes: Int?

        public init(
            memoryBytes: Int? = 2 << 30, memorySwapBytes: Int? = nil, pids: Int? = 1024, cpus: Double? = nil,
            wallTimeSeconds: Double? = nil, diskBytes: Int = 1 << 30, shmBytes: Int = 64 << 20,
            outputBytes: Int = 1 << 20, openFiles: Int? = 4096, processes: Int? = 4096, fileSizeBytes: Int? = nil
        ) {
            self.memoryBytes = memoryBytes
            self.memorySwapBytes = memorySwapBytes
            self.pids = pids
            self.cpus = cpus
            self.wallTimeSeconds = wallTimeSeconds
            self.diskBytes = diskBytes
            self.shmBytes = shmBytes
            self.outputBytes = outputBytes
            self.openFiles = openFiles
            self.processes = processes
            self.fileSizeBytes = fileSizeBytes
        }
    }

    public var rootfs: Rootfs
    /// Read-only host directories stacked on the rootfs, top first, each laid out like a root
    /// filesystem and owned in shifted ids (host uid `hostID(forInside: n)` appears as n).
    public var layers: [String]
    public var writableLayer: WritableLayer
    public var mounts: [Mount]
    /// Environment as KEY=VALUE entries, in order.
    public var environment: [String]
    public var workingDirectory: String
    public var hostname: String
    /// uid and gid that commands run as inside the sandbox.
    public var uid: UInt32
    public var gid: UInt32
    public var limits: Limits
    public var network: Network
    public var seccomp: SeccompPolicy
    /// Capabilities commands running as root inside keep; none by default.
    public var capabilities: [Capability]

    public init(
        rootfs: Rootfs = .host, layers: [String] = [], writableLayer: WritableLayer = .tmpfs, mounts: [Mount] = [], environment: [String] = SandboxSpec.defaultEnvironment,
        workingDirectory: String = "/root", hostname: String = "sandbox", uid: UInt32 = 0, gid: UInt32 = 0,
        limits: Limits = Limits(), network: Network = .none, seccomp: SeccompPolicy = .default,
        capabilities: [Capability] = []
    ) {
        self.rootfs = rootfs
        self.layers = layers
        self.writableLayer = writableLayer
        self.mounts = mounts
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.hostname = hostname
        self.uid = uid
        self.gid = gid
        self.limits = limits
        self.network = network
        self.seccomp = seccomp
        self.capabilities = capabilities
    }

    public static let defaultEnvironment = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
        "LANG=C.UTF-8",
        "TERM=dumb",
    ]

    /// Checks the spec and names the first invalid field.
    public func validate() throws(SandboxError) {
        func bad(_ field: String, _ why: String) -> SandboxError {
            SandboxError(.invalidSpec, step: field, detail: why)
        }
        if case .directory(let path) = rootfs, !path.hasPrefix("/") { throw bad("rootfs", "must be an absolute path: \(path)") }
        for (i, layer) in layers.enumerated() where !layer.hasPrefix("/") || layer.contains(":") || layer.contains(",") {
            throw bad("layers[\(i)]", "must be an absolute path without ':' or ',': \(layer)")
        }
        if case .directory(let path) = writableLayer, !path.hasPrefix("/") || path.contains(",") {
            throw bad("writableLayer", "must be an absolute path without ',': \(path)")
        }
        for (i, mount) in mounts.enumerated() {
            switch mount {
            case .bind(let source, let destination, _):
                if !source.hasPrefix("/") { throw bad("mounts[\(i)].source", "must be an absolute path: \(source)") }
                if !destination.hasPrefix("/") || destination.split(separator: "/").contains("..") {
                    throw bad("mounts[\(i)].destination", "must be an absolute path without '..': \(destination)")
                }
            case .tmpfs(let destination, let size):
                if !destination.hasPrefix("/") || destination.split(separator: "/").contains("..") {
                    throw bad("mounts[\(i)].destination", "must be an absolute path without '..': \(destination)")
                }
                if size <= 0 { throw bad("mounts[\(i)].sizeBytes", "must be positive") }
            }
        }
        for entry in environment where !entry.contains("=") || entry.hasPrefix("=") {
            throw bad("environment", "entry is not KEY=VALUE: \(entry)")
        }
        if !workingDirectory.hasPrefix("/") { throw bad("workingDirectory", "must be absolute: \(workingDirectory)") }
        if hostname.isEmpty || hostname.utf8.count > 64 { throw bad("hostname", "must be 1 to 64 bytes") }
        if let m = limits.memoryBytes, m < 4 << 20 { throw bad("limits.memoryBytes", "must be at least 4 MiB") }
        if let p = limits.pids, p < 2 { throw bad("limits.pids", "must be at least 2") }
        if let c = limits.cpus, !(c > 0) { throw bad("limits.cpus", "must be positive") }
        if let w = limits.wallTimeSeconds, !(w > 0) { throw bad("limits.wallTimeSeconds", "must be positive") }
        if limits.diskBytes < 1 << 20 { throw bad("limits.diskBytes", "must be at least 1 MiB") }
        if limits.outputBytes < 0 { throw bad("limits.outputBytes", "must not be negative") }
    }
}
