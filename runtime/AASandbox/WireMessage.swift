import CAutoAgentLinux
import Glibc
import Synchronization

/// A protocol message shared with aa-sandbox-init (see aal_protocol.h): a type and keyed fields.
struct WireMessage: Sendable {
    var type: UInt16
    var fields: [(key: UInt16, value: [UInt8])] = []
    var fds: [Int32] = []

    init(_ type: aal_message) {
        self.type = UInt16(type.rawValue)
    }

    init(type: UInt16) {
        self.type = type
    }

    mutating func add(_ key: aal_key, _ value: [UInt8]) {
        fields.append((UInt16(key.rawValue), value))
    }

    mutating func add(_ key: aal_key, _ value: String) {
        add(key, Array(value.utf8))
    }

    mutating func add<N: BinaryInteger>(_ key: aal_key, _ value: N) {
        add(key, String(value))
    }

    /// Fields joined by NUL, for multi-part values such as "source\0destination\0ro".
    mutating func add(_ key: aal_key, parts: [String]) {
        add(key, parts.joined(separator: "\0"))
    }

    func bytes(_ key: aal_key) -> [UInt8]? {
        fields.first { $0.key == UInt16(key.rawValue) }?.value
    }

    func string(_ key: aal_key) -> String? {
        bytes(key).map { String(decoding: $0, as: UTF8.self) }
    }

    func int(_ key: aal_key) -> Int? {
        string(key).flatMap { Int($0) }
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = [UInt8(type & 0xff), UInt8(type >> 8)]
        for (key, value) in fields {
            out.append(UInt8(key & 0xff))
            out.append(UInt8(key >> 8))
            let n = UInt32(value.count)
            out.append(UInt8(n & 0xff))
            out.append(UInt8((n >> 8) & 0xff))
            out.append(UInt8((n >> 16) & 0xff))
            out.append(UInt8(n >> 24))
            out.append(contentsOf: value)
        }
        return out
    }

    static func decode(_ buf: UnsafeRawBufferPointer, fds: [Int32]) -> WireMessage? {
        guard buf.count >= 2 else { return nil }
        var msg = WireMessage(type: UInt16(buf[0]) | UInt16(buf[1]) << 8)
        msg.fds = fds
        var off = 2
        while off < buf.count {
            guard off + 6 <= buf.count else { return nil }
            let key = UInt16(buf[off]) | UInt16(buf[off + 1]) << 8
            let len = Int(UInt32(buf[off + 2]) | UInt32(buf[off + 3]) << 8 | UInt32(buf[off + 4]) << 16 | UInt32(buf[off + 5]) << 24)
            off += 6
            guard len <= buf.count - off else { return nil }
            msg.fields.append((key, Array(buf[off..<off + len])))
            off += len
        }
        return msg
    }
}

/// A SOCK_SEQPACKET control socket to the spawner or a sandbox's init, read by the reactor.
final class ControlChannel: Sendable {
    let fd: Int32
    private let token: UInt64
    private let sendLock = Mutex<Void>(())

    /// Calls onMessage for each message and onClose once when the peer is gone.
    init(fd: Int32, onMessage: @escaping @Sendable (WireMessage) -> Void, onClose: @escaping @Sendable () -> Void) throws(SystemCallError) {
        self.fd = fd
        let closed = Mutex(false)
        let fdCopy = fd
        token = try Reactor.shared.add(fd: fd, events: aal_EPOLLIN | aal_EPOLLRDHUP) { events in
            if closed.withLock({ $0 }) { return }
            let buf = Reactor.shared.scratch
            var received: [Int32] = Array(repeating: -1, count: Int(AAL_MAX_FDS))
            var nfds: Int32 = 0
            let n = received.withUnsafeMutableBufferPointer { fdsBuf in
                aal_recv_with_fds(fdCopy, buf.baseAddress!, buf.count, fdsBuf.baseAddress!, AAL_MAX_FDS, &nfds)
            }
            if n > 0, let msg = WireMessage.decode(UnsafeRawBufferPointer(rebasing: buf[0..<n]), fds: Array(received[0..<Int(nfds)])) {
                onMessage(msg)
                return
            }
            // A peer that exited with messages of ours unread makes the next read fail once with
            // ECONNRESET, before what it sent: read on (level-triggered, so the reactor calls again).
            if n < 0 && (errno == EAGAIN || errno == EINTR || errno == ECONNRESET) { return }
            if n < 0 && errno == EMSGSIZE { return }
            closed.withLock { $0 = true }
            Reactor.shared.mute(fd: fdCopy)
            onClose()
        }
    }

    func send(_ message: WireMessage) throws(SystemCallError) {
        let bytes = message.encoded()
        _ = try sendLock.withLock { _ throws(SystemCallError) in
            try sys("sendmsg", "control socket") {
                bytes.withUnsafeBytes { raw in
                    message.fds.withUnsafeBufferPointer { fdsBuf in
                        aal_send_with_fds(fd, raw.baseAddress!, raw.count, fdsBuf.baseAddress, Int32(fdsBuf.count))
                    }
                }
            }
        }
    }

    /// Stops reading and closes the socket.
    func close() {
        Reactor.shared.remove(fd: fd, token: token)
        Glibc.close(fd)
    }
}
