import AASandbox
import ArgumentParser

/// Options shared by every subcommand that builds a sandbox.
struct SandboxOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Root filesystem directory (default: assembled from the host's /usr and /etc).", valueName: "dir"))
    var rootfs: String?

    @Option(name: .customLong("bind"), help: ArgumentHelp("Read-write bind mount.", valueName: "src:dst"))
    var binds: [String] = []

    @Option(name: .customLong("ro-bind"), help: ArgumentHelp("Read-only bind mount.", valueName: "src:dst"))
    var roBinds: [String] = []

    @Option(name: .customLong("tmpfs"), help: ArgumentHelp("A tmpfs at dst (default size 64M).", valueName: "dst[:size]"))
    var tmpfs: [String] = []

    @Option(name: [.short, .customLong("env")], help: ArgumentHelp("Set an environment variable.", valueName: "KEY=VALUE"))
    var env: [String] = []

    @Flag(help: "Start from an empty environment instead of the default PATH/HOME/LANG/TERM.")
    var clearEnv = false

    @Option(name: [.short, .customLong("cwd")], help: "Working directory inside the sandbox.")
    var cwd: String = "/root"

    @Option(help: "Hostname inside the sandbox.")
    var hostname: String = "sandbox"

    @Option(name: [.short, .customLong("user")], help: ArgumentHelp("Run as this uid[:gid] inside.", valueName: "uid[:gid]"))
    var user: String?

    @Option(help: ArgumentHelp("Memory limit (e.g. 512M, 2G; 'none' for no limit).", valueName: "size"))
    var memory: String = "2G"

    @Option(help: ArgumentHelp("Process/thread limit ('none' for no limit).", valueName: "n"))
    var pids: String = "1024"

    @Option(help: ArgumentHelp("CPU bandwidth in cores.", valueName: "cores"))
    var cpus: Double?

    @Option(help: ArgumentHelp("Wall-clock limit in seconds for the whole sandbox.", valueName: "seconds"))
    var wallTime: Double?

    @Option(help: ArgumentHelp("Size of the writable layer.", valueName: "size"))
    var disk: String = "1G"

    @Option(help: ArgumentHelp("Bytes of stdout and of stderr kept per command (--json).", valueName: "size"))
    var outputLimit: String = "1M"

    @Option(help: ArgumentHelp("Network: none (loopback only) or host.", valueName: "none|host"))
    var net: String = "none"

    @Option(help: ArgumentHelp("Seccomp policy: default, disabled, or a Docker-format JSON profile.", valueName: "policy"))
    var seccomp: String = "default"

    @Option(name: .customLong("cap-add"), help: ArgumentHelp(
        "A capability root inside keeps (CHOWN, SETUID …, or 'docker' for Docker's default set); it acts only on the sandbox's own ids.",
        valueName: "name"))
    var capAdd: [String] = []

    /// The spec these options describe; relative host paths (--rootfs, bind sources, a seccomp
    /// profile) are taken from `directory`.
    func spec(relativeTo directory: String) throws -> SandboxSpec {
        func host(_ path: String) -> String {
            path.hasPrefix("/") || path.isEmpty ? path : (directory.hasSuffix("/") ? directory : directory + "/") + path
        }
        var spec = SandboxSpec()
        if let rootfs { spec.rootfs = .directory(host(rootfs)) }
        for (list, readOnly) in [(binds, false), (roBinds, true)] {
            for entry in list {
                let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--\(readOnly ? "ro-bind" : "bind") wants src:dst, got '\(entry)'") }
                spec.mounts.append(.bind(source: host(parts[0]), destination: parts[1], readOnly: readOnly))
            }
        }
        for entry in tmpfs {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            let size = parts.count == 2 ? try parseSize(parts[1], option: "--tmpfs") : 64 << 20
            spec.mounts.append(.tmpfs(destination: parts[0], sizeBytes: size))
        }
        var environment = clearEnv ? [] : SandboxSpec.defaultEnvironment
        for entry in env {
            guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else { throw ValidationError("--env wants KEY=VALUE, got '\(entry)'") }
            let key = entry[..<eq]
            environment.removeAll { $0.hasPrefix(key + "=") }
            environment.append(entry)
        }
        spec.environment = environment
        spec.workingDirectory = cwd
        spec.hostname = hostname
        if let user {
            let parts = user.split(separator: ":").map { UInt32($0) }
            guard let uid = parts.first ?? nil, parts.allSatisfy({ $0 != nil }) else { throw ValidationError("--user wants uid[:gid], got '\(user)'") }
            spec.uid = uid
            spec.gid = parts.count > 1 ? parts[1]! : uid
        }
        spec.limits.memoryBytes = memory == "none" ? nil : try parseSize(memory, option: "--memory")
        spec.limits.pids = pids == "none" ? nil : Int(pids)
        if pids != "none" && spec.limits.pids == nil { throw ValidationError("--pids wants a number or 'none', got '\(pids)'") }
        spec.limits.cpus = cpus
        spec.limits.wallTimeSeconds = wallTime
        spec.limits.diskBytes = try parseSize(disk, option: "--disk")
        spec.limits.outputBytes = try parseSize(outputLimit, option: "--output-limit")
        guard let network = SandboxSpec.Network(rawValue: net) else { throw ValidationError("--net wants none or host, got '\(net)'") }
        spec.network = network
        switch seccomp {
        case "default": spec.seccomp = .default
        case "disabled": spec.seccomp = .disabled
        default: spec.seccomp = .profile(path: host(seccomp))
        }
        do {
            spec.capabilities = try SandboxSpec.Capability.parse(capAdd, option: "--cap-add")
            try spec.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return spec
    }
}

/// Parses 512, 64K, 512M, 2G, 1T (binary units).
func parseSize(_ text: String, option: String) throws -> Int {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    var digits = text.uppercased()
    var multiplier = 1
    if digits.hasSuffix("B") { digits.removeLast() }
    if let last = digits.last, let unit = units[last] {
        multiplier = unit
        digits.removeLast()
    }
    guard let value = Double(digits), value >= 0 else { throw ValidationError("\(option) wants a size like 512M or 2G, got '\(text)'") }
    return Int(value * Double(multiplier))
}
