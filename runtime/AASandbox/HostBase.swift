import CAutoAgentLinux
import Glibc
import SystemPackage

/// The default root filesystem, assembled from the host, in one of two layouts:
/// - over the host's root: one overlay whose layers are a mask (`HostRootMask`) above an id-mapped
///   clone of the host's `/` (and one more overlay for each system directory on a mount of its
///   own); used when a sandbox stacks no image layers and keeps its writable layer in memory;
/// - per directory: a skeleton (empty home, temporary and runtime directories, the merged-/usr
///   links) under a root overlay and one overlay per host system directory (/usr, /etc, the package
///   database) on top; used with image layers, whose content is laid out per directory.
///
/// Either way each is read-only below a writable layer, files of /etc that other users may not read
/// are hidden by whiteouts, and nothing else of the host is visible: not /root, /home, host secrets,
/// the project checkout or the runner's state.
///
/// The skeleton and masks are kept in the runtime's state folder under a name derived from what they
/// contain, and shared by every runtime on the host while it holds a shared lock on them; a runtime
/// that finds one for another host configuration that nobody holds removes it.
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

    /// What the spawners need of the base, known without scanning /etc: the host directories and
    /// the empty directories in the state folder where each spawner attaches its clones. These are
    /// the same for every base, so spawners start while /etc is still being scanned.
    struct Mounts: Sendable {
        /// Host directories overlaid at the same path.
        let directories: [String]
        /// Merged-/usr links of the host's top level, as (target, link).
        let links: [(String, String)]
        /// Where each spawner attaches its read-only, id-mapped clone of each host directory and of
        /// the empty directory (empty directories on the host; mount points in the spawners' mount
        /// namespaces).
        let attachPoints: [String: String]
        /// The read-only empty directory bound over masked directories (inside spawners).
        let maskSource: String
        /// Where each spawner mounts its network's sysfs, masked (inside spawners).
        let slotSysfs: String
        /// Where each spawner attaches its read-only, id-mapped clone of the host's `/`.
        let hostRoot: String
        /// Where each spawner keeps its copy of the host-root mask, on a tmpfs of its own (overlayfs
        /// refuses a layer on the filesystem of another layer's root, here the host's root).
        let maskPoint: String
        /// The masked and read-only /proc and /sys paths this kernel has (a sandbox need not look
        /// for the others every time).
        let maskedPaths: [String]
        let readOnlyPaths: [String]
        /// Where each spawner mounts its slot's read-only /dev tree, which its sandboxes bind.
        let devTree: String
        /// Host directories that lie on another mount than `/`: over the host's root they still
        /// need an overlay of their own.
        let separate: [String]

        /// Finds the host directories and makes the mount points in stateDirectory.
        init(in stateDirectory: String) throws(SandboxError) {
            var directories = HostBase.candidates.filter { HostBase.isDirectory($0) && !HostBase.isSymlink($0) }
            var links: [(String, String)] = []
            for link in HostBase.topLevelLinks {
                if HostBase.isSymlink(link), let target = symlinkTarget(link) {
                    links.append((target, link))
                } else if HostBase.isDirectory(link) {
                    directories.append(link)
                }
            }
            let points = stateDirectory + "/mnt"
            try HostBase.makeDirectory(points, mode: 0o755)
            var attachPoints: [String: String] = [:]
            for (i, dir) in directories.enumerated() {
                try HostBase.makeDirectory(points + "/\(i)", mode: 0o755)
                attachPoints[dir] = points + "/\(i)"
            }
            try HostBase.makeDirectory(stateDirectory + "/empty", mode: 0o000)
            try HostBase.makeDirectory(points + "/empty", mode: 0o755)
            try HostBase.makeDirectory(points + "/sys", mode: 0o555)
            try HostBase.makeDirectory(points + "/root", mode: 0o755)
            try HostBase.makeDirectory(points + "/mask", mode: 0o755)
            try HostBase.makeDirectory(points + "/dev", mode: 0o755)
            attachPoints[stateDirectory + "/empty"] = points + "/empty"
            attachPoints["/"] = points + "/root"
            var rootMount: UInt64 = 0
            let rootKnown = aal_mount_id("/", &rootMount) == 0
            separate = directories.filter { dir in
                var id: UInt64 = 0
                return !rootKnown || aal_mount_id(dir, &id) != 0 || id != rootMount
            }
            self.directories = directories
            self.links = links
            self.attachPoints = attachPoints
            maskSource = points + "/empty"
            slotSysfs = points + "/sys"
            hostRoot = points + "/root"
            maskPoint = points + "/mask"
            devTree = points + "/dev"
            maskedPaths = HostBase.maskedPaths.filter { fileExists($0) }
            readOnlyPaths = HostBase.readOnlyPaths.filter { fileExists($0) }
        }
    }

    /// The directory holding the skeleton and the mask.
    let root: String
    /// The host directories and the spawners' mount points.
    let mounts: Mounts
    /// The skeleton directory (the root overlay's bottom layer).
    let skeleton: String
    /// Whiteouts of private /etc files, laid out relative to /etc.
    let etcMask: String
    /// The mask laid over the host's root (spawners use a copy of it).
    let hostMask: String
    /// What the host-root mask was planned from.
    let plan: HostRootMask

    /// Held (shared flock) for as long as this runtime uses the base.
    let lockFD: Int32

    /// Finds or builds the base for this host in stateDirectory, owned by `rootID` (the host id of
    /// root inside) so that it needs no id-mapping, and locks it for this runtime.
    static func open(in stateDirectory: String, rootID: UInt32, mounts: Mounts) throws(SandboxError) -> HostBase {
        let etcStamp = HostRootMask.Stamp.read("/etc")
        let hidden = privateFiles(under: "/etc")
        let kept = mounts.directories + mounts.links.map(\.1)
        let plan = HostRootMask.plan(
            kept: kept, emptied: emptied, links: varLinks.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            hidden: (hidden, etcStamp))
        var description = "v4 \(rootID)\n" + mounts.directories.joined(separator: "\n") + "\n" + plan.description + "\n"
        for (target, link) in mounts.links { description += "\(link) -> \(target)\n" }
        for file in hidden {
            var st = stat()
            let parent = String(file[..<(file.lastIndex(of: "/") ?? file.startIndex)])
            _ = stat(parent, &st)
            description += "\(file) \(st.st_mode) \(st.st_uid) \(st.st_gid)\n"
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in description.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let root = stateDirectory + "/base-" + String(hash, radix: 16)
        if !fileExists(root + "/ready") {
            let staging = root + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try build(in: staging, rootID: rootID, directories: mounts.directories, links: mounts.links, hidden: hidden, plan: plan)
            if rename(staging, root) != 0 { removeTree(staging) } // another runtime built it first
        }
        let lock = Glibc.open(root + "/ready", O_RDONLY | O_CLOEXEC)
        guard lock >= 0, flock(lock, LOCK_SH) == 0 else {
            throw SandboxError(.setupFailed, step: "flock", detail: root + "/ready", underlying: .init(rawValue: errno))
        }
        return HostBase(
            root: root, mounts: mounts, skeleton: root + "/skeleton", etcMask: root + "/etc-mask", hostMask: root + "/host-mask",
            plan: plan, lockFD: lock)
    }

    /// Removes bases (and unfinished builds) in stateDirectory that no runtime holds.
    static func sweep(_ stateDirectory: String, keeping kept: String) {
        for name in directoryEntries(stateDirectory) where name.hasPrefix("base-") {
            let path = stateDirectory + "/" + name
            if path == kept { continue }
            if name.contains(".tmp-") {
                let pid = name.split(separator: "-").dropFirst(2).first.flatMap { pid_t($0) } ?? 0
                if pid > 0, kill(pid, 0) != 0, errno == ESRCH { removeTree(path) }
                continue
            }
            let fd = Glibc.open(path + "/ready", O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                removeTree(path)
                continue
            }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { removeTree(path) }
            close(fd)
        }
    }

    /// Symlinks below /var that every layout has.
    static let varLinks = ["/var/run": "/run", "/var/lock": "/run/lock"]

    private static func build(
        in root: String, rootID: UInt32, directories: [String], links: [(String, String)], hidden: [String], plan: HostRootMask
    ) throws(SandboxError) {
        let skeleton = root + "/skeleton"
        let etcMask = root + "/etc-mask"
        for dir in [root, skeleton, etcMask] { try makeDirectory(dir, mode: 0o755) }
        for (target, link) in links where symlink(target, skeleton + link) != 0 {
            throw SandboxError(.setupFailed, step: "symlink", detail: skeleton + link, underlying: .init(rawValue: errno))
        }
        for (dir, mode) in emptied { try makeDirectories(dir, in: skeleton, mode: mode) }
        for dir in directories { try makeDirectories(dir, in: skeleton, mode: 0o755) }
        for link in varLinks where symlink(link.value, skeleton + link.key) != 0 {
            throw SandboxError(.setupFailed, step: "symlink", detail: skeleton + link.key, underlying: .init(rawValue: errno))
        }
        for file in hidden {
            let relative = String(file.dropFirst("/etc".count))
            try makeDirectories(String(relative[..<(relative.lastIndex(of: "/") ?? relative.startIndex)]), in: etcMask, mode: 0o755, like: "/etc")
            if mknod(etcMask + relative, S_IFCHR, 0) != 0 && errno != EEXIST {
                throw SandboxError(.setupFailed, step: "mknod whiteout", detail: etcMask + relative, underlying: .init(rawValue: errno))
            }
        }
        chownTree(root, to: rootID)
        try plan.build(in: root + "/host-mask", rootID: rootID)
        let ready = Glibc.open(root + "/ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0o444)
        if ready < 0 { throw SandboxError(.setupFailed, step: "open", detail: root + "/ready", underlying: .init(rawValue: errno)) }
        close(ready)
    }

    /// The subdirectory of a layer that holds what lives under `directory` ("root" for the rest).
    static func layerKey(_ directory: String) -> String {
        directory == "/" ? "root" : directory.split(separator: "/").joined(separator: "_")
    }

    /// Files and directories under root that other users may not read.
    static func privateFiles(under root: String) -> [String] {
        var result: [String] = []
        let top = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard top >= 0 else { return [] }
        scanPrivate(top, path: root, into: &result)
        return result.sorted()
    }

    /// Walks a directory by descriptor (fstatat relative to it, no path lookups from /) and closes it.
    private static func scanPrivate(_ fd: Int32, path: String, into result: inout [String]) {
        guard let dir = fdopendir(fd) else {
            close(fd)
            return
        }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let type = entry.pointee.d_type
            if type == UInt8(DT_LNK) { continue }
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw[0] == 0x2e && (raw[1] == 0 || (raw[1] == 0x2e && raw[2] == 0))
            }
            if isDot { continue }
            var st = stat()
            let found = withUnsafePointer(to: entry.pointee.d_name) { name in
                name.withMemoryRebound(to: CChar.self, capacity: 256) { fstatat(dirfd(dir), $0, &st, AT_SYMLINK_NOFOLLOW) == 0 }
            }
            guard found, (st.st_mode & S_IFMT) != S_IFLNK else { continue }
            let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
            guard st.st_mode & S_IROTH == 0 || isDirectory else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if st.st_mode & S_IROTH == 0 {
                result.append(path + "/" + name)
            } else {
                let child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 { scanPrivate(child, path: path + "/" + name, into: &result) }
            }
        }
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

    static func makeDirectory(_ path: String, mode: mode_t) throws(SandboxError) {
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

    /// The masked paths below /sys, relative to it.
    static var maskedSysPaths: [String] { maskedPaths.filter { $0.hasPrefix("/sys/") }.map { String($0.dropFirst(5)) } }

    /// /proc paths that stay readable but not writable.
    static let readOnlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"]
}
