import Foundation
import Glibc
import Synchronization

/// A model server on 127.0.0.1 that plays a script: each HTTP request gets the next reply of the
/// script (the last one repeats), or the reply a responder computes from the request. Real sockets,
/// one thread per connection, `Connection: close`.
public final class ScriptedModelServer: Sendable {
    /// One scripted reply.
    public struct Reply: Sendable {
        public var status = 200
        public var headers: [String: String] = [:]
        public var body: String
        /// Seconds to wait before answering.
        public var delay = 0.0
        /// Close the connection after half the body.
        public var cut = false

        public init(status: Int = 200, headers: [String: String] = [:], body: String, delay: Double = 0, cut: Bool = false) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.cut = cut
        }

        public static func json(_ body: String, status: Int = 200, headers: [String: String] = [:], delay: Double = 0) -> Reply {
            Reply(status: status, headers: headers, body: body, delay: delay)
        }
    }

    /// A request as received.
    public struct Received: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: String
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    /// Computes the reply to a request (instead of a script).
    public typealias Responder = @Sendable (Received) -> Reply

    private struct State {
        var script: [Reply]
        var responder: Responder?
        var next = 0
        var received: [Received] = []
        var inFlight = 0
        var maxInFlight = 0
    }

    let port: UInt16
    private let listener: Int32
    private let state: Mutex<State>

    public convenience init(_ script: [Reply]) throws {
        try self.init(script: script, responder: nil)
    }

    /// A server whose replies `responder` computes from each request.
    public convenience init(responder: @escaping Responder) throws {
        try self.init(script: [], responder: responder)
    }

    private init(script: [Reply], responder: Responder?) throws {
        state = Mutex(State(script: script, responder: responder))
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 512) == 0 else {
            close(listener)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// `http://127.0.0.1:PORT/v1`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    public var received: [Received] { state.withLock { $0.received } }
    public var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    /// Stops accepting; the accept thread closes the socket, so its number cannot be reused under it.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        guard let request = readRequest(fd) else { return }
        let (scripted, responder) = state.withLock { s -> (Reply?, Responder?) in
            s.received.append(request)
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
            if let responder = s.responder { return (nil, responder) }
            let reply = s.script[min(s.next, s.script.count - 1)]
            s.next += 1
            return (reply, nil)
        }
        let reply = scripted ?? responder!(request)
        if reply.delay > 0 { Thread.sleep(forTimeInterval: reply.delay) }
        // Counted out before answering: the client sends its next request only after this answer.
        state.withLock { $0.inFlight -= 1 }
        let body = Array(reply.body.utf8)
        var head = "HTTP/1.1 \(reply.status) Scripted\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8) + (reply.cut ? Array(body.prefix(body.count / 2)) : body)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
        if reply.cut {
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }
    }

    private func readRequest(_ fd: Int32) -> Received? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            data += buffer[0..<n]
            if headerEnd == nil, let range = find([13, 10, 13, 10], in: data) {
                headerEnd = range + 4
                let head = String(decoding: data[0..<range], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
            if let end = headerEnd, data.count >= end + contentLength {
                let head = String(decoding: data[0..<(end - 4)], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
                }
                return Received(path: path, headers: headers, body: String(decoding: data[end..<(end + contentLength)], as: UTF8.self))
            }
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

/// Replies in the providers' shapes.
public enum ScriptedReplies {
    public static func openAIToolCall(_ name: String, arguments: String, id: String = "call_a") -> ScriptedModelServer.Reply {
        let args = String(decoding: try! JSONSerialization.data(withJSONObject: arguments, options: .fragmentsAllowed), as: UTF8.self)
        return .json("""
        {"id":"x","object":"chat.completion","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
        "tool_calls":[{"id":"\(id)","type":"function","function":{"name":"\(name)","arguments":\(args)}}]}}],
        "usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":40}}}
        """)
    }

    public static func openAIText(_ text: String) -> ScriptedModelServer.Reply {
        let content = String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
        return .json("""
        {"id":"x","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":\(content)}}],
        "usage":{"prompt_tokens":120,"completion_tokens":10}}
        """)
    }

    public static func anthropicText(_ text: String) -> ScriptedModelServer.Reply {
        let content = String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
        return .json("""
        {"id":"msg_2","type":"message","role":"assistant","stop_reason":"end_turn","content":[{"type":"text","text":\(content)}],
        "usage":{"input_tokens":70,"output_tokens":5}}
        """)
    }

    public static func anthropicToolUse(_ name: String, input: String) -> ScriptedModelServer.Reply {
        .json("""
        {"id":"msg_1","type":"message","role":"assistant","stop_reason":"tool_use","content":[{"type":"text","text":"Let me look."},
        {"type":"tool_use","id":"toolu_1","name":"\(name)","input":\(input)}],
        "usage":{"input_tokens":50,"output_tokens":15,"cache_read_input_tokens":30}}
        """)
    }
}
