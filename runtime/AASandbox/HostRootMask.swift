import CAutoAgentLinux
import Glibc
import SystemPackage

/// The layer that makes the host's whole root filesystem usable as the default base with a single
/// overlay: laid right above an id-mapped clone of the host's `/`, it lets the system directories
/// through (/usr, /etc, the package database, the merged-/usr links), turns the directories that
/// start empty inside into empty opaque directories, hides every other entry of `/` and of the
/// directories leading to a kept one with a whiteout, and hides /etc's private files.
///
/// What it hides depends on what those directories hold when it is planned, so the plan records
/// their state (`Stamp`) and is made again when one of them changes.
struct HostRootMask: Sendable {
    enum Entry: Sendable, Equatable {
        /// A directory with the host's (or a fixed) mode and owner; opaque ones hide what lies below.
        case directory(String, mode: mode_t, uid: uid_t, gid: gid_t, opaque: Bool)
        /// Hides the host entry at this path.
        case whiteout(String)
        case symlink(String, target: String)
    }

    /// What a directory the plan depends on looked like when it was read.
    struct Stamp: Sendable, Equatable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var modified: timespec
        var changed: timespec

        static func == (a: Stamp, b: Stamp) -> Bool {
            a.path == b.path && a.device == b.device && a.inode == b.inode
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }

        /// The directory's current state; nil when it does not exist.
        static func read(_ path: String) -> Stamp? {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return Stamp(path: path, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), modified: st.st_mtim, changed: st.st_ctim)
        }
    }

    /// Entries in creation order (parents first).
    let entries: [Entry]
    /// The directories whose listing the plan depends on, as they were before they were read.
    let stamps: [Stamp]

    /// Whether every directory the plan read still looks the same (an entry added, removed or
    /// renamed in one of them changes its modification time).
    var isCurrent: Bool {
        stamps.allSatisfy { Stamp.read($0.path) == $0 }
    }

    /// Plans the mask.
    /// - Parameters:
    ///   - kept: host paths that show through (they and everything below them).
    ///   - emptied: paths that exist inside but start empty, with their modes.
    ///   - links: symlinks placed inside, as (path, target).
    ///   - hidden: private files and directories under kept paths, hidden one by one, and the state
    ///     of the directory they were found in, read before they were looked for.
    static func plan(
        kept: [String], emptied: [(String, mode_t)], links: [(String, String)], hidden: (files: [String], stamp: Stamp?)
    ) -> HostRootMask {
        let keptSet = Set(kept)
        func ancestors(_ path: String) -> [String] {
            var result: [String] = []
            var current = path
            while let slash = current.lastIndex(of: "/"), slash != current.startIndex {
                current = String(current[..<slash])
                result.append(current)
            }
            return result
        }
        let emptiedModes = Dictionary(emptied, uniquingKeysWith: { a, _ in a })
        // Emptied directories on the way to a kept one are listed (everything else in them hidden),
        // the others are opaque.
        let leadingToKept = Set(kept.flatMap(ancestors))
        let opaque = Set(emptiedModes.keys.filter { !leadingToKept.contains($0) })
        func insideOpaque(_ path: String) -> Bool { ancestors(path).contains { opaque.contains($0) } }
        var listed = leadingToKept
        for path in Array(emptiedModes.keys) + links.map(\.0) where !insideOpaque(path) {
            listed.formUnion(ancestors(path))
        }
        listed.insert("/")
        let placed = Set(emptiedModes.keys).union(links.map(\.0))

        var stamps: [Stamp] = []
        var entries: [Entry] = []
        var made = Set<String>()
        func directory(_ path: String, mode: mode_t? = nil, opaque: Bool = false) {
            guard !made.contains(path) else { return }
            made.insert(path)
            var st = stat()
            if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, !opaque {
                entries.append(.directory(path, mode: mode ?? (st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid, opaque: false))
            } else {
                entries.append(.directory(path, mode: mode ?? 0o755, uid: 0, gid: 0, opaque: opaque))
            }
        }
        for dir in listed.sorted() where dir != "/" {
            for parent in ancestors(dir).reversed() where parent != "/" { directory(parent) }
            directory(dir, mode: emptiedModes[dir])
        }
        for dir in listed.sorted() {
            guard let stamp = Stamp.read(dir) else { continue }
            stamps.append(stamp)
            for name in directoryEntries(dir).sorted() {
                let path = (dir == "/" ? "" : dir) + "/" + name
                if keptSet.contains(path) || listed.contains(path) || placed.contains(path) { continue }
                entries.append(.whiteout(path))
            }
        }
        for (path, mode) in emptied.sorted(by: { $0.0 < $1.0 }) where !listed.contains(path) {
            for parent in ancestors(path).reversed() where parent != "/" { directory(parent) }
            directory(path, mode: mode, opaque: opaque.contains(path))
        }
        for (path, target) in links.sorted(by: { $0.0 < $1.0 }) {
            for parent in ancestors(path).reversed() where parent != "/" { directory(parent) }
            entries.append(.symlink(path, target: target))
        }
        if let stamp = hidden.stamp { stamps.append(stamp) }
        for file in hidden.files {
            for parent in ancestors(file).reversed() where parent != "/" { directory(parent) }
            entries.append(.whiteout(file))
        }
        return HostRootMask(entries: entries, stamps: stamps)
    }

    /// A line per entry, for the base's content hash.
    var description: String {
        entries.map { entry -> String in
            switch entry {
            case .directory(let p, let mode, let uid, let gid, let opaque): return "d \(p) \(String(mode, radix: 8)) \(uid) \(gid)\(opaque ? " opaque" : "")"
            case .whiteout(let p): return "w \(p)"
            case .symlink(let p, let target): return "l \(p) \(target)"
            }
        }.joined(separator: "\n")
    }

    /// Writes the mask into `directory` (which must not exist yet), with owners shifted by `rootID`.
    func build(in directory: String, rootID: UInt32) throws(SandboxError) {
        func check(_ rc: Int32, _ step: String, _ path: String) throws(SandboxError) {
            if rc != 0 { throw SandboxError(.setupFailed, step: step, detail: path, underlying: .init(rawValue: errno)) }
        }
        try check(mkdir(directory, 0o755), "mkdir", directory)
        try check(chown(directory, rootID, rootID), "chown", directory)
        for entry in entries {
            switch entry {
            case .directory(let p, let mode, let uid, let gid, let opaque):
                let path = directory + p
                try check(mkdir(path, mode), "mkdir", path)
                try check(chmod(path, mode), "chmod", path)
                try check(chown(path, rootID + uid, rootID + gid), "chown", path)
                if opaque {
                    try check(setxattr(path, "trusted.overlay.opaque", "y", 1, 0), "setxattr trusted.overlay.opaque", path)
                }
            case .whiteout(let p):
                try check(mknod(directory + p, S_IFCHR, 0), "mknod whiteout", directory + p)
            case .symlink(let p, let target):
                try check(symlink(target, directory + p), "symlink", directory + p)
                try check(lchown(directory + p, rootID, rootID), "lchown", directory + p)
            }
        }
    }
}
