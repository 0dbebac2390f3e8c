import Glibc

/// The default root filesystem, assembled from the host's system directories: /usr, /etc and the
/// package database, each behind its own overlay, with private files of /etc hidden and empty
/// home, temporary and runtime directories. Nothing else of the host is visible.
struct DefaultRootfs: Sendable {
    /// Host directories overlaid read-only at the same path.
    var baseDirectories: [String] = []
    /// (target, path) symlinks, e.g. the merged-/usr links.
    var symlinks: [(String, String)] = []
    /// (path, mode) directories created empty.
    var directories: [(String, UInt32)] = []
    /// Paths hidden from the overlaid directories.
    var hidden: [String] = []

    static let candidates = ["/usr", "/etc", "/var/lib/dpkg", "/var/lib/apt"]
    static let topLevelLinks = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
    static let emptyDirectories: [(String, UInt32)] = [
        ("/tmp", 0o1777), ("/var/tmp", 0o1777), ("/root", 0o700), ("/home", 0o755), ("/run", 0o755),
        ("/var/cache", 0o755), ("/var/log", 0o755), ("/var/lib", 0o755), ("/mnt", 0o755), ("/srv", 0o755),
        ("/opt", 0o755), ("/usr/local", 0o755),
    ]

    /// Reads the host's layout once.
    static func detect() -> DefaultRootfs {
        var layout = DefaultRootfs()
        for path in candidates where isDirectory(path) {
            layout.baseDirectories.append(path)
        }
        for path in topLevelLinks {
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                var buf = [CChar](repeating: 0, count: 4096)
                let n = readlink(path, &buf, buf.count - 1)
                if n > 0 {
                    let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    layout.symlinks.append((target, path))
                }
            } else if (st.st_mode & S_IFMT) == S_IFDIR {
                layout.baseDirectories.append(path)
            }
        }
        layout.directories = emptyDirectories
        layout.hidden = privateFiles(under: "/etc")
        return layout
    }

    /// Files and directories under root that other users may not read: shadow files, private
    /// keys, host secrets. They are hidden rather than copied.
    static func privateFiles(under root: String) -> [String] {
        var result: [String] = []
        var stack = [root]
        while let dir = stack.popLast() {
            guard let handle = opendir(dir) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
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

    private static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
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
