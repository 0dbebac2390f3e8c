import Foundation
import Glibc

/// Host file operations the builder and the trial runner need, with errors that name the call and path.
enum FileTree {
    struct Failure: Error, CustomStringConvertible {
        var call: String
        var path: String
        var code: Int32
        /// Replaces the errno text when the call succeeded but the result was unusable.
        var reason: String?
        var description: String { "\(call) \(path): \(reason ?? String(cString: strerror(code)))" }
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// mkdir -p, chowning the directories it creates.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755, owner: (UInt32, UInt32)? = nil) throws(Failure) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if isDirectory(current) { continue }
            if mkdir(current, mode) != 0, errno != EEXIST { throw Failure(call: "mkdir", path: current, code: errno) }
            if let (u, g) = owner, lchown(current, u, g) != 0 { throw Failure(call: "chown", path: current, code: errno) }
        }
    }

    /// rm -rf without following symlinks.
    static func remove(_ path: String) throws(Failure) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in entries(path) { try remove(path + "/" + name) }
            if rmdir(path) != 0, errno != ENOENT { throw Failure(call: "rmdir", path: path, code: errno) }
        } else if unlink(path) != 0, errno != ENOENT {
            throw Failure(call: "unlink", path: path, code: errno)
        }
    }

    /// Empties a directory (without following symlinks in it).
    static func clear(_ path: String) throws(Failure) {
        for name in entries(path) { try remove(path + "/" + name) }
    }

    static func entries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Copies a file, directory tree or symlink, preserving modes; chowns everything to `owner` when given.
    static func copy(_ source: String, to destination: String, owner: (UInt32, UInt32)?, mode override: mode_t? = nil) throws(Failure) {
        var st = stat()
        guard lstat(source, &st) == 0 else { throw Failure(call: "lstat", path: source, code: errno) }
        let kind = st.st_mode & S_IFMT
        let mode = override ?? (st.st_mode & 0o7777)
        if kind == S_IFDIR {
            if !isDirectory(destination), mkdir(destination, mode) != 0 { throw Failure(call: "mkdir", path: destination, code: errno) }
            for name in entries(source) {
                try copy(source + "/" + name, to: destination + "/" + name, owner: owner, mode: override)
            }
            _ = chmod(destination, mode)
        } else if kind == S_IFLNK {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(source, &buf, buf.count - 1)
            guard n >= 0 else { throw Failure(call: "readlink", path: source, code: errno) }
            try remove(destination)
            if symlink(String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self), destination) != 0 {
                throw Failure(call: "symlink", path: destination, code: errno)
            }
        } else if kind == S_IFREG {
            try remove(destination)
            let input = open(source, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw Failure(call: "open", path: source, code: errno) }
            defer { close(input) }
            let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard output >= 0 else { throw Failure(call: "open", path: destination, code: errno) }
            defer { close(output) }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n < 0 { throw Failure(call: "read", path: source, code: errno) }
                if n == 0 { break }
                var off = 0
                while off < n {
                    let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + off, n - off) }
                    if w < 0 { throw Failure(call: "write", path: destination, code: errno) }
                    off += w
                }
            }
            _ = fchmod(output, mode)
        } else {
            return
        }
        if let (u, g) = owner, lchown(destination, u, g) != 0 { throw Failure(call: "chown", path: destination, code: errno) }
    }

    /// Chowns a tree (not following symlinks).
    static func chownTree(_ path: String, _ uid: UInt32, _ gid: UInt32) throws(Failure) {
        if lchown(path, uid, gid) != 0 { throw Failure(call: "chown", path: path, code: errno) }
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return }
        for name in entries(path) { try chownTree(path + "/" + name, uid, gid) }
    }

    /// Reads at most `limit` bytes of a regular file without following a symlink at `path`: files
    /// that sandboxed processes could have replaced are read this way. nil when the file does not exist.
    static func readRegularFile(_ path: String, limit: Int) throws(Failure) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw Failure(call: "open", path: path, code: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(call: "fstat", path: path, code: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw Failure(call: "open", path: path, code: EINVAL, reason: "not a regular file") }
        var bytes = [UInt8](repeating: 0, count: limit)
        var total = 0
        while total < limit {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, limit - total) }
            if n < 0 { throw Failure(call: "read", path: path, code: errno) }
            if n == 0 { break }
            total += n
        }
        return Array(bytes[0..<total])
    }

    /// Feeds every path, mode and file content under `path` (sorted) into a hash.
    static func hash(_ path: String, as name: String, into hasher: inout SHA256) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            hasher.update("missing \(name)\n")
            return
        }
        let kind = st.st_mode & S_IFMT
        hasher.update("\(name) \(String(st.st_mode, radix: 8))\n")
        if kind == S_IFDIR {
            for child in entries(path) { hash(path + "/" + child, as: name + "/" + child, into: &hasher) }
        } else if kind == S_IFLNK {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(path, &buf, buf.count - 1)
            if n > 0 { hasher.update(buf[0..<n].map { UInt8(bitPattern: $0) }) }
        } else if kind == S_IFREG, let data = FileManager.default.contents(atPath: path) {
            hasher.update("\(data.count)\n")
            hasher.update(data)
        }
    }
}
