import Foundation
import Glibc
import Synchronization

/// The on-disk trace format: an 8-byte magic with the format version, then frames. A frame is a
/// little-endian u32 length followed by that many bytes of one zstd frame (with content
/// checksum) holding JSON lines of events. Frames are only appended, so a crash loses at most
/// the frame being written.
public enum TraceFile {
    public static let magic: [UInt8] = Array("AATRACE".utf8) + [1]
    public static let version = 1
    /// Largest frame a reader accepts (compressed).
    public static let maxFrameBytes = 64 << 20
}

/// A trace file problem: which file, where and what.
public struct TraceError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var offset: Int
    public var message: String
    public var description: String { "\(path) at byte \(offset): \(message)" }
}

/// Appends events to a trace file. Events are buffered and written as one frame on `flush()`,
/// when the buffer grows past `frameEvents`, and on `close()`.
public final class TraceWriter: Sendable {
    public let path: String
    private let fd: Int32
    private let frameEvents: Int

    /// Events encoded but not yet written, and the reusable compression state.
    private struct Pending {
        var lines: [UInt8] = []
        var count = 0
        var frame: [UInt8] = []
        let compressor: ZstdCompressor
    }

    private let pending: Mutex<Pending>

    /// Creates (or truncates) the trace at path.
    public init(path: String, frameEvents: Int = 32) throws(TraceError) {
        self.path = path
        self.frameEvents = max(1, frameEvents)
        let compressor: ZstdCompressor
        do { compressor = try ZstdCompressor(level: 3, checksum: true) } catch {
            throw TraceError(path: path, offset: 0, message: error.description)
        }
        pending = Mutex(Pending(compressor: compressor))
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0o644)
        if fd < 0 { throw TraceError(path: path, offset: 0, message: "cannot create: \(String(cString: strerror(errno)))") }
        try writeAll(TraceFile.magic[...])
    }

    deinit { Glibc.close(fd) }

    public func append(_ event: TraceEvent) throws(TraceError) {
        try pending.withLock { (p: inout Pending) throws(TraceError) in
            TraceEventCodec.encode(event, into: &p.lines)
            p.lines.append(0x0a)
            p.count += 1
            if p.count >= frameEvents { try write(&p) }
        }
    }

    /// Writes the buffered events as one frame.
    public func flush() throws(TraceError) {
        try pending.withLock { (p: inout Pending) throws(TraceError) in try write(&p) }
    }

    public func close() throws(TraceError) {
        try flush()
        _ = fsync(fd)
    }

    /// Compresses the pending lines into one frame with its length prefix and writes it.
    private func write(_ p: inout Pending) throws(TraceError) {
        guard p.count > 0 else { return }
        p.frame.removeAll(keepingCapacity: true)
        p.frame.append(contentsOf: [0, 0, 0, 0])
        do { try p.compressor.compress(p.lines, appendingTo: &p.frame) } catch {
            throw TraceError(path: path, offset: -1, message: error.description)
        }
        let n = UInt32(p.frame.count - 4)
        p.frame[0] = UInt8(n & 0xff)
        p.frame[1] = UInt8((n >> 8) & 0xff)
        p.frame[2] = UInt8((n >> 16) & 0xff)
        p.frame[3] = UInt8(n >> 24)
        p.lines.removeAll(keepingCapacity: true)
        p.count = 0
        try writeAll(p.frame[...])
    }

    private func writeAll(_ bytes: ArraySlice<UInt8>) throws(TraceError) {
        var off = 0
        while off < bytes.count {
            let n = bytes[(bytes.startIndex + off)...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError(path: path, offset: -1, message: "write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }
}

/// Reads a trace file, keeping every intact frame: a torn last frame (a crash while writing) is
/// skipped and reported as `tornTail`, a damaged frame in the middle as a corruption.
public struct TraceReader {
    public struct Contents: Sendable {
        public var events: [TraceEvent]
        /// Bytes at the end that did not form a whole frame.
        public var tornTail: Bool
        /// Frames or lines that could not be decoded.
        public var corruptions: [TraceError]
    }

    public static func read(path: String) throws(TraceError) -> Contents {
        var events: [TraceEvent] = []
        let damage = try read(path: path) { events.append($0) }
        return Contents(events: events, tornTail: damage.tornTail, corruptions: damage.corruptions)
    }

    /// Reads a trace file as `read(path:)` does, handing each event to `body` in order instead of
    /// keeping them; a reader of many files passes one decompressor for all of them.
    public static func read(path: String, decompressor: ZstdDecompressor? = nil,
                            _ body: (TraceEvent) -> Void) throws(TraceError) -> (tornTail: Bool, corruptions: [TraceError]) {
        let bytes = try readFile(path)
        guard bytes.count >= TraceFile.magic.count, Array(bytes[0..<7]) == Array(TraceFile.magic[0..<7]) else {
            throw TraceError(path: path, offset: 0, message: "not an AutoAgent trace (bad magic)")
        }
        guard Int(bytes[7]) <= TraceFile.version else {
            throw TraceError(path: path, offset: 7, message: "trace format version \(bytes[7]) is newer than this reader (\(TraceFile.version))")
        }
        var tornTail = false
        var corruptions: [TraceError] = []
        let zstd: ZstdDecompressor
        if let decompressor { zstd = decompressor } else { zstd = try Self.decompressor(path) }
        var off = TraceFile.magic.count
        while off < bytes.count {
            guard off + 4 <= bytes.count else { tornTail = true; break }
            let n = Int(bytes[off]) | Int(bytes[off + 1]) << 8 | Int(bytes[off + 2]) << 16 | Int(bytes[off + 3]) << 24
            guard n > 0, n <= TraceFile.maxFrameBytes else {
                corruptions.append(TraceError(path: path, offset: off, message: "impossible frame length \(n); rest of file skipped"))
                break
            }
            guard off + 4 + n <= bytes.count else { tornTail = true; break }
            do {
                let lines = try zstd.decompress(bytes[(off + 4)..<(off + 4 + n)], limit: 256 << 20)
                lines.withUnsafeBufferPointer { lines in
                    var event = TraceEvent(.error, time: .nan)
                    var start = 0
                    while start < lines.count {
                        let end = memchr(lines.baseAddress! + start, 0x0a, lines.count - start)
                            .map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - lines.baseAddress! } ?? lines.count
                        if end > start {
                            if TraceEventCodec.decode(UnsafeBufferPointer(rebasing: lines[start..<end]), into: &event) {
                                body(event)
                            } else {
                                corruptions.append(TraceError(path: path, offset: off, message: "undecodable event in frame"))
                            }
                        }
                        start = end + 1
                    }
                }
            } catch {
                corruptions.append(TraceError(path: path, offset: off, message: "damaged frame: \(error.description)"))
            }
            off += 4 + n
        }
        return (tornTail, corruptions)
    }

    private static func decompressor(_ path: String) throws(TraceError) -> ZstdDecompressor {
        do { return try ZstdDecompressor() } catch { throw TraceError(path: path, offset: 0, message: error.description) }
    }

    /// The whole file, read with one allocation.
    static func readFile(_ path: String) throws(TraceError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TraceError(path: path, offset: 0, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TraceError(path: path, offset: 0, message: "cannot stat: \(String(cString: strerror(errno)))") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError(path: path, offset: off, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            off += n
        }
        if off < bytes.count { bytes.removeSubrange(off...) }
        return bytes
    }
}
