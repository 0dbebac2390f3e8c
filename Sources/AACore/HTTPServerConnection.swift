import Foundation
import Glibc

/// One HTTP/1.1 request as a server reads it.
struct HTTPServerRequest: Sendable {
    var method: String
    /// The request target without the query string.
    var path: String
    /// Header names in lower case; repeated headers joined with ", ".
    var headers: [String: String]
    var body: [UInt8]
    /// Whether the client wants the connection kept open after the reply.
    var keepAlive: Bool
}

/// A request the server cannot read: the status to answer with and why.
struct HTTPRequestError: Error, CustomStringConvertible {
    var status: Int
    var message: String
    var description: String { "\(status): \(message)" }
}

/// A blocking server-side HTTP/1.1 connection on a socket: reads requests (Content-Length or chunked
/// bodies) and writes replies. Used on a thread of its own, never on a task of the cooperative pool.
final class HTTPServerConnection {
    static let maxHeaderBytes = 64 << 10
    static let maxBodyBytes = 64 << 20

    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32, idleTimeoutSeconds: Int = 600) {
        self.fd = fd
        var timeout = timeval(tv_sec: idleTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next request; nil when the client closed the connection between requests.
    func readRequest() throws(HTTPRequestError) -> HTTPServerRequest? {
        guard let headerEnd = try fill(until: { Self.find([13, 10, 13, 10], in: $0) }, limit: Self.maxHeaderBytes) else {
            if buffer.isEmpty { return nil }
            throw HTTPRequestError(status: 400, message: "the connection closed inside the request headers")
        }
        let head = String(decoding: buffer[0..<headerEnd], as: UTF8.self)
        buffer.removeFirst(headerEnd + 4)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
            throw HTTPRequestError(status: 400, message: "malformed request line")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPRequestError(status: 400, message: "malformed header line") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        let body: [UInt8]
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try readChunkedBody()
        } else if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0 else { throw HTTPRequestError(status: 400, message: "bad Content-Length") }
            guard length <= Self.maxBodyBytes else { throw HTTPRequestError(status: 413, message: "the body is larger than \(Self.maxBodyBytes) bytes") }
            body = try take(length)
        } else {
            body = []
        }
        let target = String(requestLine[1])
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        let connection = headers["connection"]?.lowercased() ?? ""
        let keepAlive = requestLine[2] == "HTTP/1.1" ? !connection.contains("close") : connection.contains("keep-alive")
        return HTTPServerRequest(method: String(requestLine[0]), path: path, headers: headers, body: body, keepAlive: keepAlive)
    }

    /// Writes one reply with a Content-Length; returns false when the client is gone.
    @discardableResult
    func write(status: Int, headers: [(String, String)], body: [UInt8], keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        return send(Array(head.utf8)) && send(body)
    }

    private func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    private func readChunkedBody() throws(HTTPRequestError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            guard let lineEnd = try fill(until: { Self.find([13, 10], in: $0) }, limit: 1024) else {
                throw HTTPRequestError(status: 400, message: "the connection closed inside a chunked body")
            }
            let sizeText = String(decoding: buffer[0..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            buffer.removeFirst(lineEnd + 2)
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw HTTPRequestError(status: 400, message: "bad chunk size")
            }
            if size == 0 {
                while true {
                    guard let end = try fill(until: { Self.find([13, 10], in: $0) }, limit: Self.maxHeaderBytes) else {
                        throw HTTPRequestError(status: 400, message: "the connection closed inside the chunked trailer")
                    }
                    buffer.removeFirst(end + 2)
                    if end == 0 { return body }
                }
            }
            guard body.count + size <= Self.maxBodyBytes else {
                throw HTTPRequestError(status: 413, message: "the body is larger than \(Self.maxBodyBytes) bytes")
            }
            body += try take(size)
            _ = try take(2)
        }
    }

    private func take(_ count: Int) throws(HTTPRequestError) -> [UInt8] {
        guard try fill(until: { $0.count >= count ? count : nil }, limit: count) != nil else {
            throw HTTPRequestError(status: 400, message: "the connection closed inside the body")
        }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Reads until `found` returns an index into the buffer; nil on EOF first.
    private func fill(until found: ([UInt8]) -> Int?, limit: Int) throws(HTTPRequestError) -> Int? {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            if let index = found(buffer) { return index }
            guard buffer.count <= limit + 4 else { throw HTTPRequestError(status: 431, message: "the request head is too large") }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw HTTPRequestError(status: 408, message: "reading the request failed: \(String(cString: strerror(errno)))") }
            if n == 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { i in haystack[i..<(i + needle.count)].elementsEqual(needle) }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
