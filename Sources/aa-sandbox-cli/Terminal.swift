import Glibc

/// Writes text to standard output, unbuffered.
func writeOut(_ text: String) {
    writeAll(1, Array(text.utf8))
}

/// Writes text to standard error, unbuffered.
func writeErr(_ text: String) {
    writeAll(2, Array(text.utf8))
}

/// Writes all bytes to a descriptor (retrying short writes and EINTR).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
    }
}

/// A number with a fixed count of decimals, right-aligned in `width` columns.
func formatted(_ value: Double, decimals: Int, width: Int = 0) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text: String
    if decimals == 0 {
        text = String(Int(rounded))
    } else {
        let whole = Int(rounded.magnitude)
        let fraction = Int(((rounded.magnitude - Double(whole)) * scale).rounded())
        let digits = String(fraction)
        text = (rounded < 0 ? "-" : "") + String(whole) + "." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
    }
    return padded(text, width, left: true)
}

/// Text padded with spaces to `width` columns (on the left when `left`).
func padded(_ text: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return left ? fill + text : text + fill
}

/// This process's working directory ("/" when it cannot be named).
func currentDirectory() -> String {
    guard let path = getcwd(nil, 0) else { return "/" }
    defer { free(path) }
    return String(cString: path)
}

/// Everything readable from a descriptor until end of file, read on a thread of its own so that a
/// slow writer (a terminal) holds no thread of Swift's cooperative pool. `abandoned` is asked every
/// tenth of a second while nothing arrives; when it says yes, reading stops with what was read.
func readAll(_ fd: Int32, abandoned: @escaping @Sendable () -> Bool = { false }) async -> [UInt8] {
    final class Job: Sendable {
        let fd: Int32
        let abandoned: @Sendable () -> Bool
        let continuation: CheckedContinuation<[UInt8], Never>
        init(fd: Int32, abandoned: @escaping @Sendable () -> Bool, continuation: CheckedContinuation<[UInt8], Never>) {
            self.fd = fd
            self.abandoned = abandoned
            self.continuation = continuation
        }
        func run() {
            var result: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while !abandoned() {
                if poll(&ready, 1, 100) == 0 { continue }
                let n = read(fd, &chunk, chunk.count)
                if n > 0 { result.append(contentsOf: chunk[0..<n]) } else if n < 0 && (errno == EINTR || errno == EAGAIN) { continue } else { break }
            }
            continuation.resume(returning: result)
        }
    }
    return await withCheckedContinuation { continuation in
        let job = Unmanaged.passRetained(Job(fd: fd, abandoned: abandoned, continuation: continuation)).toOpaque()
        var thread = pthread_t()
        if pthread_create(&thread, nil, { argument in
            Unmanaged<Job>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, job) == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Job>.fromOpaque(job).takeRetainedValue().run()
        }
    }
}
