import CAutoAgentLinux
import Glibc
import SystemPackage

extension Sandbox {
    /// Opens a TCP socket listening on 127.0.0.1 inside the sandbox's network namespace, so processes in
    /// the sandbox reach a service of the runner on loopback while the sandbox has no other network.
    /// Returns the listening descriptor (close-on-exec; the caller owns it) and the port it is bound to.
    public func listenOnLoopback(port: UInt16 = 0, backlog: Int32 = 128) throws(SystemCallError) -> (fd: Int32, port: UInt16) {
        let fd = try socketInNetworkNamespace(of: initPID)
        do {
            var one: Int32 = 1
            try sys("setsockopt", "SO_REUSEADDR") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
            address.sin_port = port.bigEndian
            try sys("bind", "127.0.0.1:\(port) in sandbox \(name)") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            try sys("listen", "sandbox \(name)") { listen(fd, backlog) }
            var bound = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            try sys("getsockname", "sandbox \(name)") {
                withUnsafeMutablePointer(to: &bound) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
            }
            return (fd, UInt16(bigEndian: bound.sin_port))
        } catch {
            close(fd)
            throw error
        }
    }
}

/// Accepts one connection on a listening socket (close-on-exec); retries EINTR and ECONNABORTED.
/// Throws when the listener was shut down or closed.
public func acceptConnection(on listener: Int32) throws(SystemCallError) -> Int32 {
    while true {
        do {
            return try sys("accept4", "listening socket \(listener)") { aal_accept_cloexec(listener) }
        } catch where error.errno == .connectionAbort {
            continue
        }
    }
}

/// Creates a TCP socket in the network namespace of `pid`. The socket is made on a short-lived thread
/// that joins the namespace and then ends, so no thread of the process is left in the sandbox's network.
private func socketInNetworkNamespace(of pid: Int32) throws(SystemCallError) -> Int32 {
    let path = "/proc/\(pid)/ns/net"
    let namespace = try sys("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
    defer { close(namespace) }
    final class Job {
        let namespace: Int32
        let path: String
        var result: Result<Int32, SystemCallError> = .failure(SystemCallError(call: "pthread_create", errno: .invalidArgument))
        init(namespace: Int32, path: String) {
            self.namespace = namespace
            self.path = path
        }
        func run() {
            do throws(SystemCallError) {
                try sys("setns", path) { aal_setns(namespace, aal_CLONE_NEWNET) }
                result = .success(try sys("socket", "AF_INET in \(path)") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) })
            } catch {
                result = .failure(error)
            }
        }
    }
    let job = Job(namespace: namespace, path: path)
    let box = Unmanaged.passRetained(job)
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { argument in
        Unmanaged<Job>.fromOpaque(argument!).takeUnretainedValue().run()
        return nil
    }, box.toOpaque())
    guard rc == 0 else {
        box.release()
        throw SystemCallError(call: "pthread_create", target: path, errno: Errno(rawValue: rc))
    }
    pthread_join(thread, nil)
    box.release()
    return try job.result.get()
}
