import Glibc
import Logging
import SystemPackage

/// Per-sandbox cgroups: memory (+swap), pids and cpu, on cgroup v2 where the host has those
/// controllers there, else on the v1 hierarchies. Sandboxes nest under the runner's own cgroup in
/// a folder `aa-sandbox`, named `aa-<runner pid>-<n>` so a later runner can sweep stale ones.
struct Cgroups: Sendable {
    enum Version: Sendable { case v1, v2 }

    let version: Version
    /// v1: controller name → base directory; v2: "" → base directory.
    let bases: [String: String]
    let swapAccounting: Bool

    /// Finds the hierarchies and creates the base folders; nil when no usable cgroup fs exists.
    static func detect(logger: Logger) -> Cgroups? {
        guard let mountinfo = try? readSmallFile("/proc/self/mountinfo"),
              let ownCgroups = try? readSmallFile("/proc/self/cgroup") else { return nil }
        var v1Mounts: [String: String] = [:]
        var v2Mount: String?
        for line in mountinfo.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let dash = parts.firstIndex(of: "-"), dash + 3 < parts.count + 1, parts.count > dash + 2 else { continue }
            let mountPoint = String(parts[4])
            let fstype = parts[dash + 1]
            if fstype == "cgroup2" { v2Mount = mountPoint }
            if fstype == "cgroup", dash + 3 < parts.count {
                for option in parts[dash + 3].split(separator: ",") where ["memory", "pids", "cpu"].contains(String(option)) {
                    v1Mounts[String(option)] = mountPoint
                }
            }
        }
        var ownV1: [String: String] = [:]
        var ownV2 = "/"
        for line in ownCgroups.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[1].isEmpty { ownV2 = String(parts[2]) }
            for controller in parts[1].split(separator: ",") { ownV1[String(controller)] = String(parts[2]) }
        }
        if let v2Mount, let controllers = try? readSmallFile(v2Mount + "/cgroup.controllers"),
           controllers.contains("memory"), controllers.contains("pids") {
            let base = v2Mount + (ownV2 == "/" ? "" : ownV2) + "/aa-sandbox"
            guard makeDirectory(base, logger: logger) else { return nil }
            let parentControl = base + "/cgroup.subtree_control"
            try? writeSmallFile(parentControl, "+memory +pids +cpu")
            return Cgroups(version: .v2, bases: ["": base], swapAccounting: true)
        }
        var bases: [String: String] = [:]
        for controller in ["memory", "pids", "cpu"] {
            guard let mount = v1Mounts[controller] else { continue }
            let own = ownV1[controller] ?? "/"
            let base = mount + (own == "/" ? "" : own) + "/aa-sandbox"
            if makeDirectory(base, logger: logger) { bases[controller] = base }
        }
        if bases.isEmpty { return nil }
        let swap = bases["memory"].map { fileExists($0 + "/memory.memsw.limit_in_bytes") } ?? false
        return Cgroups(version: .v1, bases: bases, swapAccounting: swap)
    }

    private static func makeDirectory(_ path: String, logger: Logger) -> Bool {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return true }
        logger.warning("cannot create cgroup folder", metadata: ["path": "\(path)", "errno": "\(errno)"])
        return false
    }

    /// The directories of one sandbox's cgroups.
    struct Group: Sendable {
        let directories: [String: String]
        let version: Version

        /// How many processes the kernel's OOM killer killed in the sandbox.
        func oomKills() -> Int {
            guard let dir = directories[version == .v2 ? "" : "memory"] else { return 0 }
            let file = version == .v2 ? "/memory.events" : "/memory.oom_control"
            guard let text = try? readSmallFile(dir + file) else { return 0 }
            for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
                return Int(line.split(separator: " ").last ?? "0") ?? 0
            }
            return 0
        }
    }

    /// Creates a slot's cgroups (limits are applied per sandbox).
    func create(name: String) throws(SandboxError) -> Group {
        var dirs: [String: String] = [:]
        for (controller, base) in bases {
            let dir = base + "/" + name
            guard mkdir(dir, 0o755) == 0 || errno == EEXIST else {
                let err = SystemCallError(call: "mkdir", target: dir, errno: .init(rawValue: errno))
                remove(Group(directories: dirs, version: version))
                throw SandboxError(.cgroupFailed, err)
            }
            dirs[controller] = dir
        }
        return Group(directories: dirs, version: version)
    }

    /// Writes a sandbox's limits to its slot's cgroups; unset limits are lifted.
    func apply(_ limits: SandboxSpec.Limits, to group: Group) throws(SystemCallError) {
        let memory = limits.memoryBytes
        let memsw = limits.memorySwapBytes ?? memory
        switch version {
        case .v2:
            let dir = group.directories[""]!
            try writeSmallFile(dir + "/memory.max", memory.map { String($0) } ?? "max")
            if fileExists(dir + "/memory.swap.max") {
                try writeSmallFile(dir + "/memory.swap.max", memory.map { String(max(0, (memsw ?? $0) - $0)) } ?? "max")
            }
            try writeSmallFile(dir + "/pids.max", limits.pids.map { String($0) } ?? "max")
            if fileExists(dir + "/cpu.max") {
                try writeSmallFile(dir + "/cpu.max", limits.cpus.map { "\(Int($0 * 100_000)) 100000" } ?? "max 100000")
            }
        case .v1:
            if let dir = group.directories["memory"] {
                // memsw must stay >= memory: lift memsw first when raising, set memory first when lowering.
                if swapAccounting { try writeSmallFile(dir + "/memory.memsw.limit_in_bytes", "-1") }
                try writeSmallFile(dir + "/memory.limit_in_bytes", memory.map { String($0) } ?? "-1")
                if swapAccounting, let memsw { try writeSmallFile(dir + "/memory.memsw.limit_in_bytes", String(memsw)) }
            }
            if let dir = group.directories["pids"] {
                try writeSmallFile(dir + "/pids.max", limits.pids.map { String($0) } ?? "max")
            }
            if let dir = group.directories["cpu"] {
                try writeSmallFile(dir + "/cpu.cfs_period_us", "100000")
                try writeSmallFile(dir + "/cpu.cfs_quota_us", limits.cpus.map { String(Int($0 * 100_000)) } ?? "-1")
            }
        }
    }

    /// Kills what is left in a sandbox's cgroups and removes them.
    func remove(_ group: Group) {
        for dir in group.directories.values {
            Self.removeDirectory(dir)
        }
    }

    private static func removeDirectory(_ dir: String) {
        for attempt in 0..<200 {
            if rmdir(dir) == 0 || errno == ENOENT { return }
            guard errno == EBUSY else { return }
            if let procs = try? readSmallFile(dir + "/cgroup.procs") {
                for pid in procs.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
            }
            usleep(attempt < 10 ? 500 : 5000)
        }
    }

    /// Removes cgroups left by runners that are no longer alive.
    func sweep(logger: Logger) -> Int {
        var removed = 0
        for base in Set(bases.values) {
            var stale: [String] = []
            for name in directoryEntries(base) {
                let parts = name.split(separator: "-")
                guard parts.count == 3, parts[0] == "aa", let pid = pid_t(parts[1]) else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH { stale.append(base + "/" + name) }
            }
            // A stale slot that still holds processes is its spawner cleaning up after its runner
            // died (its sandboxes die with it): the spawner removes the slot itself. Killing it
            // here would stop that cleanup half way.
            for path in stale where rmdir(path) == 0 {
                removed += 1
            }
        }
        if removed > 0 { logger.info("removed stale sandbox cgroups", metadata: ["count": "\(removed)"]) }
        return removed
    }
}
