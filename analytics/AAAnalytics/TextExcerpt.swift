/// Bounded excerpts and error lines from tool output, verifier output and messages.
public enum TextExcerpt {
    /// The text cut to at most `limit` UTF-8 bytes (head and tail kept, a marker between).
    public static func bounded(_ text: String, limit: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > limit, limit > 8 else { return text }
        let half = (limit - 5) / 2
        let head = String(decoding: utf8.prefix(half), as: UTF8.self)
        let tail = String(decoding: utf8.suffix(half), as: UTF8.self)
        return head + " … " + tail
    }

    /// The line of text that names its error, bounded to 300 bytes: the first error-looking line,
    /// except after a traceback header, whose last error-looking line names the exception.
    public static func errorLine(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var first: Range<Int>?
            var last: Range<Int>?
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0a, bytes[end] != 0x0d { end += 1 }
                if end > start, errorMatcher.matches(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end])) {
                    if first == nil { first = start..<end }
                    if !tracebackMatcher.matches(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end])) { last = start..<end }
                }
                start = end + 1
            }
            guard let first else { return nil }
            let firstLine = String(decoding: UnsafeBufferPointer(rebasing: bytes[first]), as: UTF8.self)
            let traceback = tracebackMatcher.matches(firstLine) || firstLine.hasPrefix("panic:")
            let chosen = traceback ? last.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) } ?? firstLine : firstLine
            return bounded(chosen.trimmingWhitespace(), limit: 300)
        }
    }

    /// The text cut to at most `limit` UTF-8 bytes at its end (for names and titles).
    public static func prefix(_ text: String, limit: Int) -> String {
        guard text.utf8.count > limit, limit > 4 else { return text }
        return String(decoding: text.utf8.prefix(limit - 3), as: UTF8.self) + "…"
    }

    /// The last non-empty line of text, bounded to 300 bytes.
    public static func lastLine(_ text: String) -> String? {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last { !$0.trimmingWhitespace().isEmpty }
            .map { bounded($0.trimmingWhitespace(), limit: 300) }
    }

    static let errorMarkers = [
        "error", "traceback", "exception", "not found", "no such file", "permission denied", "fatal",
        "failed", "failure", "cannot ", "can't ", "unable to", "denied", "invalid", "segmentation fault",
        "killed", "timed out", "timeout", "refused", "unrecognized", "unknown option", "syntax",
    ]

    static let errorMatcher = KeywordMatcher(errorMarkers)
    static let tracebackMatcher = KeywordMatcher(["traceback (most recent call last)"])

    /// Whether a line reads like an error report.
    public static func looksLikeError(_ line: some StringProtocol) -> Bool {
        errorMatcher.matches(line)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
