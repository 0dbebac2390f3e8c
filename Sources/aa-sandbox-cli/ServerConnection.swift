import CAutoAgentFrontEnd
import Glibc

/// A connection to the runtime server's socket, for its management commands (status, stop).
struct ServerConnection: ~Copyable {
    let fd: Int32

    /// Connects to the server at a socket path; nil when no server listens there.
    init?(socket path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends a request and waits for the server's answer; nil when the server went away.
    func ask(_ request: FrontEndMessage) -> FrontEndMessage? {
        guard request.send(on: fd) else { return nil }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(AAF_MAX_MESSAGE), alignment: 8)
        defer { buffer.deallocate() }
        while true {
            switch FrontEndMessage.receive(from: fd, into: buffer) {
            case .message(let reply):
                for fd in reply.fds { close(fd) }
                return reply
            case .nothing: continue
            case .closed: return nil
            }
        }
    }
}
