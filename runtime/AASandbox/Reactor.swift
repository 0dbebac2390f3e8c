import CAutoAgentLinux
import Glibc
import Synchronization

/// One epoll thread that watches every descriptor of the runtime (control sockets, output pipes)
/// and calls a handler on readiness. Handlers run on the reactor thread and must not block.
final class Reactor: Sendable {
    typealias Handler = @Sendable (_ events: UInt32) -> Void

    static let shared = Reactor()

    private let epfd: Int32
    /// A receive buffer for handlers; only touched on the reactor thread.
    nonisolated(unsafe) let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(AAL_MAX_MESSAGE), alignment: 8)
    private let state = Mutex<(next: UInt64, handlers: [UInt64: Handler])>((1, [:]))

    private init() {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epfd >= 0, "epoll_create1 failed: \(errno)")
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self)
        let rc = pthread_create(&thread, nil, { arg in
            let reactor = Unmanaged<Reactor>.fromOpaque(arg!).takeRetainedValue()
            reactor.loop()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    /// Watches fd for the given epoll events; returns a token for `modify` and `remove`.
    func add(fd: Int32, events: UInt32, handler: @escaping Handler) throws(SystemCallError) -> UInt64 {
        let token = state.withLock { s -> UInt64 in
            let t = s.next
            s.next += 1
            s.handlers[t] = handler
            return t
        }
        var ev = epoll_event(events: events, data: epoll_data_t(u64: token))
        do {
            try sys("epoll_ctl ADD", "fd \(fd)") { epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) }
        } catch {
            _ = state.withLock { $0.handlers.removeValue(forKey: token) }
            throw error
        }
        return token
    }

    func modify(fd: Int32, token: UInt64, events: UInt32) {
        var ev = epoll_event(events: events, data: epoll_data_t(u64: token))
        _ = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    /// Stops epoll events for fd at once (its handler entry stays until `remove`); for a handler
    /// that has seen its peer close.
    func mute(fd: Int32) {
        var ev = epoll_event()
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev)
    }

    /// Stops watching fd; its handler is not called again once this returns on the reactor thread.
    func remove(fd: Int32, token: UInt64) {
        _ = state.withLock { $0.handlers.removeValue(forKey: token) }
        var ev = epoll_event()
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev)
    }

    private func loop() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, Int32($0.count), -1) }
            if n < 0 { continue }
            for i in 0..<Int(n) {
                let token = events[i].data.u64
                let mask = events[i].events
                if let handler = state.withLock({ $0.handlers[token] }) {
                    handler(mask)
                }
            }
        }
    }
}
