import CAutoAgentLinux
import Glibc
import SystemPackage

/// The default root filesystem, assembled from the host: a skeleton (empty home, temporary and
/// runtime directories, the merged-/usr links) under a root overlay, and one overlay per host
/// system directory (/usr, /etc, the package database) on top, each read-only below a writable
/// layer. Files of /etc that other users may not read are hidden by a mask layer of whiteouts.
/// Nothing else of the host is visible: not /root, /home, host secrets, the project checkout or
/// the runner's state.
struct HostBase: Sendable {
    /// Host system directories overlaid at the same path, when they exist.
    static let candidates = ["/usr", "/etc", "/var/lib/dpkg", "/var/lib/apt"]
    /// Top-level names that merged-/usr hosts keep as symlinks into /usr.
    static let topLevelLinks = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
    /// Directories that exist inside but start empty, with their modes.
    static let emptied: [(String, mode_t)] = [
        ("/tmp", 0o1777), ("/var/tmp", 0o1777), ("/root", 0o700), ("/home", 0o755), ("/run", 0o755), ("/run/lock", 0o1777),
        ("/var/cache", 0o755), ("/var/log", 0o755), ("/var/mail", 0o2775), ("/var/spool", 0o755), ("/var/lib", 0o755),
        ("/mnt", 0o755), ("/srv", 0o755), ("/opt", 0o755), ("/media", 0o755), ("/proc", 0o555), ("/sys", 0o555),
        ("/dev", 0o755), ("/boot", 0o755),
    ]

    /// The directory holding the skeleton and the mask.
    let root: String
    /// Host directories overlaid at the same path.
    let directories: [String]
    /// Where each spawner attaches its read-only, id-mapped clone of each host directory (empty
    /// directories on the host; mount points in the spawners' mount namespaces).
    let attachPoints: [String: String]

    /// The read-only empty directory bound over masked directories (inside spawners).
    var maskSource: String { root + "/idmapped/empty" }
    /// The skeleton directory (the root overlay's bottom layer).
    let skeleton: String
    /// Whiteouts of private /etc files, laid out relative to /etc.
    let etcMask: String
    /// Host paths hidden because they are private.
    let hidden: [String]

    /// Builds the skeleton and the mask for this host in the directory `root`, owned by `rootID`
    /// (the host id of root inside) so they need no id-mapping.
    static func build(in root: String, rootID: UInt32) throws(SandboxError) -> HostBase {
        removeTree(root)
        let skeleton = root + "/skeleton"
        let etcMask = root + "/etc-mask"
        for dir in [root, skeleton, etcMask] { try makeDirectory(dir, mode: 0o755) }
        var directories = candidates.filter { isDirectory($0) && !isSymlink($0) }
        for link in topLevelLinks {
            if isSymlink(link), let target = symlinkTarget(link) {
                if symlink(target, skeleton + link) != 0 {
                    throw SandboxError(.setupFailed, step: "symlink", detail: skeleton + link, underlying: .init(rawValue: errno))
                }
            } else if isDirectory(link) {
                directories.append(link)
            }
        }
        for (dir, mode) in emptied { try makeDirectories(dir, in: skeleton, mode: mode) }
        for dir in directories { try makeDirectories(dir, in: skeleton, mode: 0o755) }
        for link in ["/var/run": "/run", "/var/lock": "/run/lock"] where symlink(link.value, skeleton + link.key) != 0 {
            throw SandboxError(.setupFailed, step: "symlink", detail: skeleton + link.key, underlying: .init(rawValue: errno))
        }
        let hidden = privateFiles(under: "/etc")
        for file in hidden {
            let relative = String(file.dropFirst("/etc".count))
            try makeDirectories(String(relative[..<(relative.lastIndex(of: "/") ?? relative.startIndex)]), in: etcMask, mode: 0o755, like: "/etc")
            if mknod(etcMask + relative, S_IFCHR, 0) != 0 && errno != EEXIST {
                throw SandboxError(.setupFailed, step: "mknod whiteout", detail: etcMask + relative, underlying: .init(rawValue: errno))
            }
        }
        chownTree(root, to: rootID)
        var attachPoints: [String: String] = [:]
        try makeDirectory(root + "/idmapped", mode: 0o755)
        for (i, dir) in directories.enumerated() {
            attachPoints[dir] = root + "/idmapped/\(i)"
            try makeDirectory(root + "/idmapped/\(i)", mode: 0o755)
        }
        // An empty directory, attached read-only by each spawner, that masks /proc and /sys directories.
        try makeDirectory(root + "/empty", mode: 0o000)
        try makeDirectory(root + "/idmapped/empty", mode: 0o755)
        attachPoints[root + "/empty"] = root + "/idmapped/empty"
        return HostBase(
            root: root, directories: directories, attachPoints: attachPoints, skeleton: skeleton, etcMask: etcMask,
            hidden: hidden)
    }

    /// The subdirectory of a layer that holds what lives under `directory` ("root" for the rest).
    static func layerKey(_ directory: String) -> String {
        directory == "/" ? "root" : directory.split(separator: "/").joined(separator: "_")
    }

    /// Files and directories under root that other users may not read.
    static func privateFiles(under root: String) -> [String] {
        var result: [String] = []
        var stack = [root]
        while let dir = stack.popLast() {
            for name in directoryEntries(dir) {
                let path = dir + "/" + name
                var st = stat()
                guard lstat(path, &st) == 0 else { continue }
                let kind = st.st_mode & S_IFMT
                if kind == S_IFLNK { continue }
                if st.st_mode & S_IROTH == 0 {
                    result.append(path)
                } else if kind == S_IFDIR {
                    stack.append(path)
                }
            }
        }
        return result.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// mkdir -p of path below base; new components copy mode and owner from the same path under
    /// `like` when it exists there.
    private static func makeDirectories(_ path: String, in base: String, mode: mode_t, like: String? = nil) throws(SandboxError) {
        var current = ""
        let parts = path.split(separator: "/")
        for (i, part) in parts.enumerated() {
            current += "/" + part
            if fileExists(base + current) { continue }
            let last = i == parts.count - 1
            try makeDirectory(base + current, mode: last ? mode : 0o755)
            var st = stat()
            if let like, stat((like == "/" ? "" : like) + current, &st) == 0 {
                chmod(base + current, st.st_mode & 0o7777)
                _ = chown(base + current, st.st_uid, st.st_gid)
            }
        }
    }

    private static func makeDirectory(_ path: String, mode: mode_t) throws(SandboxError) {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw SandboxError(.setupFailed, step: "mkdir", detail: path, underlying: .init(rawValue: errno))
        }
        chmod(path, mode)
    }

    /// Shifts the owners of a tree (not following symlinks) into the sandbox's id range.
    private static func chownTree(_ path: String, to base: UInt32) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if st.st_uid < base { _ = lchown(path, base + st.st_uid, base + st.st_gid) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return }
        for name in directoryEntries(path) { chownTree(path + "/" + name, to: base) }
    }

    /// Removes a directory tree without following symlinks (best effort).
    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in directoryEntries(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// /proc and /sys paths no process may read.
    static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/kallsyms", "/proc/kmsg", "/proc/sysrq-trigger",
        "/sys/firmware", "/sys/kernel/debug", "/sys/kernel/security", "/sys/kernel/tracing",
        "/sys/devices/virtual/powercap",
    ]

    /// /proc paths that stay readable but not writable.
    static let readOnlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"]
}
