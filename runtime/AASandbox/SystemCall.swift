import Glibc
import SystemPackage

/// A failed system call: which call, on which path or object, and the errno it returned.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var target: String?
    public var errno: Errno

    public init(call: String, target: String? = nil, errno: Errno) {
        self.call = call
        self.target = target
        self.errno = errno
    }

    public var description: String {
        if let target { return "\(call) \(target): \(errno)" }
        return "\(call): \(errno)"
    }
}

/// Runs a C call that returns -1 and sets errno on failure, retrying EINTR; throws the call's name
/// and target on failure.
@discardableResult
func sys<T: FixedWidthInteger>(_ call: String, _ target: String? = nil, _ body: () -> T) throws(SystemCallError) -> T {
    while true {
        let rc = body()
        if rc != -1 { return rc }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemCallError(call: call, target: target, errno: Errno(rawValue: code))
    }
}

/// Reads a whole small file (procfs, cgroupfs, configuration).
func readSmallFile(_ path: String) throws(SystemCallError) -> String {
    let fd = try sys("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try sys("read", path) { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes a short string to a file that already exists (procfs, cgroupfs).
func writeSmallFile(_ path: String, _ text: String) throws(SystemCallError) {
    let fd = try sys("open", path) { open(path, O_WRONLY | O_CLOEXEC) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    try sys("write", path) { bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
}

func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}

/// Names in a directory (without "." and ".."); empty if it cannot be read.
func directoryEntries(_ path: String) -> [String] {
    guard let handle = opendir(path) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// The target of a symlink, or nil.
func symlinkTarget(_ path: String) -> String? {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buf, buf.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
