import CAutoAgentFrontEnd
import CAutoAgentLinux
import Glibc

/// A message of the front-end protocol (aaf_protocol.h): a type, keyed fields and descriptors.
struct FrontEndMessage {
    var type: Int32
    var fields: [(key: Int32, value: [UInt8])] = []
    var fds: [Int32] = []

    init(_ type: Int32) {
        self.type = type
    }

    mutating func add(_ key: Int32, _ value: String) {
        fields.append((key, Array(value.utf8)))
    }

    mutating func add<N: BinaryInteger>(_ key: Int32, _ value: N) {
        add(key, String(value))
    }

    /// Every value of a key, in order.
    func strings(_ key: Int32) -> [String] {
        fields.filter { $0.key == key }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    func string(_ key: Int32) -> String? {
        strings(key).first
    }

    func int(_ key: Int32) -> Int? {
        string(key).flatMap { Int($0) }
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = [UInt8(type & 0xff), UInt8((type >> 8) & 0xff)]
        for (key, value) in fields {
            out += [UInt8(key & 0xff), UInt8((key >> 8) & 0xff)]
            let n = UInt32(value.count)
            out += [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)]
            out += value
        }
        return out
    }

    /// The message in a received datagram, or nil when it is malformed.
    static func decode(_ buf: UnsafeRawBufferPointer, fds: [Int32]) -> FrontEndMessage? {
        guard buf.count >= 2 else { return nil }
        var message = FrontEndMessage(Int32(buf[0]) | Int32(buf[1]) << 8)
        message.fds = fds
        var offset = 2
        while offset < buf.count {
            guard offset + 6 <= buf.count else { return nil }
            let key = Int32(buf[offset]) | Int32(buf[offset + 1]) << 8
            var length = 0
            for i in 0..<4 { length |= Int(buf[offset + 2 + i]) << (8 * i) }
            offset += 6
            guard length <= buf.count - offset else { return nil }
            message.fields.append((key, Array(buf[offset..<offset + length])))
            offset += length
        }
        return message
    }

    /// Sends the message on a socket; false when the peer is gone or the socket is full.
    @discardableResult
    func send(on socket: Int32) -> Bool {
        let bytes = encoded()
        return bytes.withUnsafeBytes { raw in
            fds.withUnsafeBufferPointer { fdBuffer in
                aal_send_with_fds(socket, raw.baseAddress!, raw.count, fdBuffer.baseAddress, Int32(fdBuffer.count))
            }
        } == bytes.count
    }

    /// The outcome of reading one message from a socket.
    enum Received {
        case message(FrontEndMessage)
        /// Nothing to read now (a non-blocking socket), or a datagram that was dropped as malformed.
        case nothing
        case closed
    }

    /// Reads one message into `buffer` (AAF_MAX_MESSAGE bytes).
    static func receive(from socket: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Received {
        var fds = [Int32](repeating: -1, count: Int(AAF_MAX_FDS))
        var count: Int32 = 0
        let n = fds.withUnsafeMutableBufferPointer { fdBuffer in
            aal_recv_with_fds(socket, buffer.baseAddress!, buffer.count, fdBuffer.baseAddress!, AAF_MAX_FDS, &count)
        }
        if n == 0 { return .closed }
        if n < 0 { return errno == EAGAIN || errno == EMSGSIZE ? .nothing : .closed }
        let received = Array(fds[0..<Int(count)])
        guard let message = decode(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), fds: received) else {
            for fd in received { close(fd) }
            return .nothing
        }
        return .message(message)
    }
}
