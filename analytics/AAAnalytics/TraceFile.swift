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
    private let pending = Mutex<[TraceEvent]>([])

    /// Creates (or truncates) the trace at path.
    public init(path: String, frameEvents: Int = 32) throws(TraceError) {
        self.path = path
        self.frameEvents = max(1, frameEvents)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0o644)
        if fd < 0 { throw TraceError(path: path, offset: 0, message: "cannot create: \(String(cString: strerror(errno)))") }
        try writeAll(TraceFile.magic)
    }

    deinit { Glibc.close(fd) }

    public func append(_ event: TraceEvent) throws(TraceError) {
        let full = pending.withLock { p -> Bool in
            p.append(event)
            return p.count >= frameEvents
        }
        if full { try flush() }
    }

    /// Writes the buffered events as one frame.
    public func flush() throws(TraceError) {
        let events = pending.withLock { p -> [TraceEvent] in
            defer { p = [] }
            return p
        }
        guard !events.isEmpty else { return }
        var lines: [UInt8] = []
        lines.reserveCapacity(events.count * 256)
        for event in events {
            TraceEventCodec.encode(event, into: &lines)
            lines.append(0x0a)
        }
        let packed: [UInt8]
        do { packed = try Zstd.compress(lines, level: 3, checksum: true) } catch {
            throw TraceError(path: path, offset: -1, message: error.description)
        }
        let n = UInt32(packed.count)
        try writeAll([UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)] + packed)
    }

    public func close() throws(TraceError) {
        try flush()
        _ = fsync(fd)
    }

    private func writeAll(_ bytes: [UInt8]) throws(TraceError) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TraceError(path: path, offset: 0, message: "cannot read")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= TraceFile.magic.count, Array(bytes[0..<7]) == Array(TraceFile.magic[0..<7]) else {
            throw TraceError(path: path, offset: 0, message: "not an AutoAgent trace (bad magic)")
        }
        guard Int(bytes[7]) <= TraceFile.version else {
            throw TraceError(path: path, offset: 7, message: "trace format version \(bytes[7]) is newer than this reader (\(TraceFile.version))")
        }
        var contents = Contents(events: [], tornTail: false, corruptions: [])
        var off = TraceFile.magic.count
        while off < bytes.count {
            guard off + 4 <= bytes.count else { contents.tornTail = true; break }
            let n = Int(bytes[off]) | Int(bytes[off + 1]) << 8 | Int(bytes[off + 2]) << 16 | Int(bytes[off + 3]) << 24
            guard n > 0, n <= TraceFile.maxFrameBytes else {
                contents.corruptions.append(TraceError(path: path, offset: off, message: "impossible frame length \(n); rest of file skipped"))
                break
            }
            guard off + 4 + n <= bytes.count else { contents.tornTail = true; break }
            let frame = Array(bytes[(off + 4)..<(off + 4 + n)])
            do {
                let lines = try Zstd.decompress(frame, limit: 256 << 20)
                for line in lines.split(separator: 0x0a) where !line.isEmpty {
                    if let event = TraceEventCodec.decode(line) {
                        contents.events.append(event)
                    } else {
                        contents.corruptions.append(TraceError(path: path, offset: off, message: "undecodable event in frame"))
                    }
                }
            } catch {
                contents.corruptions.append(TraceError(path: path, offset: off, message: "damaged frame: \(error.description)"))
            }
            off += 4 + n
        }
        return contents
    }
}
