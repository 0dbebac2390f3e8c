import CAutoAgentCurl
import CCurl
import Foundation
import Synchronization

/// An HTTP request for `CurlLoop`.
public struct HTTPRequest: Sendable {
    public var url: String
    /// Header lines, "Name: value".
    public var headers: [String]
    /// Sent as a POST body; nil: a GET.
    public var body: [UInt8]?
    /// The whole transfer's limit.
    public var timeoutSeconds: Double
    public var connectTimeoutSeconds: Double

    public init(url: String, headers: [String] = [], body: [UInt8]? = nil, timeoutSeconds: Double = 120,
                connectTimeoutSeconds: Double = 10) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }
}

/// A finished HTTP exchange (any status).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case; the last value of a repeated header wins.
    public var headers: [String: String]
    public var body: [UInt8]
}

/// A transfer that failed below HTTP: connection refused or cut, timeout, DNS.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// libcurl's CURLcode.
    public var code: Int
    public var message: String
    public var url: String
    /// Whether the transfer hit its time limit.
    public var timedOut: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
    public var description: String { "\(url): \(message) (curl error \(code))" }
}

/// One libcurl multi handle driven by one thread, serving every HTTP request of the process;
/// `perform` suspends the calling task until its transfer ends.
public final class CurlLoop: Sendable {
    /// The process's loop.
    public static let shared = CurlLoop()

    private struct Pending: Sendable {
        var additions: [Transfer] = []
        var cancellations: [UInt64] = []
        var nextID: UInt64 = 1
        /// Transfers handed to the loop and not finished.
        var started: Set<UInt64> = []
        /// Tasks cancelled before their transfer was handed over.
        var cancelledBeforeStart: Set<UInt64> = []
    }

    private let multi: MultiHandle
    private let pending = Mutex(Pending())

    private init() {
        curl_global_init(3)
        multi = MultiHandle(curl_multi_init())
        aac_multi_setopt_long(multi.pointer, CURLMOPT_MAX_HOST_CONNECTIONS, 0)
        let thread = Thread { [self] in drive() }
        thread.name = "aa-curl"
        thread.start()
    }

    /// Runs the request; throws `HTTPTransportError` or `CancellationError`.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = pending.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                let transfer = Transfer(id: id, request: request, continuation: continuation)
                let queued = pending.withLock { state -> Bool in
                    if state.cancelledBeforeStart.remove(id) != nil { return false }
                    state.started.insert(id)
                    state.additions.append(transfer)
                    return true
                }
                if queued { curl_multi_wakeup(multi.pointer) } else { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            pending.withLock { state in
                if state.started.contains(id) { state.cancellations.append(id) } else { state.cancelledBeforeStart.insert(id) }
            }
            curl_multi_wakeup(multi.pointer)
        }
    }

    private func drive() {
        var active: [UInt64: Transfer] = [:]
        var byHandle: [UnsafeMutableRawPointer: UInt64] = [:]
        var finished: [UInt64] = []
        while true {
            let (additions, cancellations) = pending.withLock { state in
                for id in finished { state.started.remove(id) }
                defer { state.additions = []; state.cancellations = [] }
                return (state.additions, state.cancellations)
            }
            finished.removeAll(keepingCapacity: true)
            for transfer in additions {
                guard let easy = transfer.start() else { finished.append(transfer.id); continue }
                curl_multi_add_handle(multi.pointer, easy)
                active[transfer.id] = transfer
                byHandle[easy] = transfer.id
            }
            for id in cancellations {
                // A transfer that already finished has nothing left to cancel.
                guard let transfer = active.removeValue(forKey: id), let easy = transfer.easy else { continue }
                byHandle[easy] = nil
                curl_multi_remove_handle(multi.pointer, easy)
                transfer.finish(Result.failure(CancellationError()))
                finished.append(id)
            }
            var running: Int32 = 0
            curl_multi_perform(multi.pointer, &running)
            var code = CURLE_OK
            while let easy = aac_multi_next_done(multi.pointer, &code) {
                curl_multi_remove_handle(multi.pointer, easy)
                guard let id = byHandle.removeValue(forKey: easy), let transfer = active.removeValue(forKey: id) else { continue }
                transfer.complete(code: code)
                finished.append(id)
            }
            if finished.isEmpty { curl_multi_poll(multi.pointer, nil, 0, 1000, nil) }
        }
    }
}

/// The multi handle; libcurl allows `curl_multi_wakeup` from any thread, everything else happens on the loop thread.
private struct MultiHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { fatalError("curl_multi_init failed") }
        self.pointer = pointer
    }
}

/// One request's easy handle and buffers; touched only by the loop thread after it is queued.
private final class Transfer: @unchecked Sendable {
    let id: UInt64
    let request: HTTPRequest
    private let continuation: CheckedContinuation<HTTPResponse, any Error>
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    init(id: UInt64, request: HTTPRequest, continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.id = id
        self.request = request
        self.continuation = continuation
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit { errorBuffer.deallocate() }

    /// Creates the easy handle; on failure the transfer is finished with an error and nil is returned.
    func start() -> UnsafeMutableRawPointer? {
        guard let easy = curl_easy_init() else {
            finish(.failure(HTTPTransportError(code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed", url: request.url)))
            return nil
        }
        self.easy = easy
        let context = Unmanaged.passUnretained(self).toOpaque()
        aac_easy_setopt_string(easy, CURLOPT_URL, request.url)
        aac_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        aac_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(request.timeoutSeconds * 1000)))
        aac_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(request.connectTimeoutSeconds * 1000)))
        aac_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        for line in request.headers { headerList = curl_slist_append(headerList, line) }
        headerList = curl_slist_append(headerList, "Expect:")
        aac_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
        if let body = request.body {
            aac_easy_setopt_long(easy, CURLOPT_POST, 1)
            aac_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
            body.withUnsafeBufferPointer { buffer in
                _ = aac_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
            }
        }
        aac_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        aac_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        aac_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let n = size * count
            data.withMemoryRebound(to: UInt8.self, capacity: n) { transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }
        aac_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        aac_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let n = size * count
            let line = data.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
            if line.hasPrefix("HTTP/") { transfer.headers = [:] }
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                transfer.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return n
        }
        return easy
    }

    func complete(code: CURLcode) {
        guard let easy else { return }
        if code != CURLE_OK {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            finish(.failure(HTTPTransportError(code: Int(code.rawValue), message: message, url: request.url)))
            return
        }
        var status = 0
        aac_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        finish(.success(HTTPResponse(status: status, headers: headers, body: body)))
    }

    func finish(_ result: Result<HTTPResponse, any Error>) {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        curl_slist_free_all(headerList)
        headerList = nil
        continuation.resume(with: result)
    }
}
