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
                // Lines end at a line break, or at an escaped one (`\n` inside JSON-encoded output).
                var end = start
                var next = start
                while end < bytes.count {
                    if bytes[end] == 0x0a || bytes[end] == 0x0d { next = end + 1; break }
                    if bytes[end] == 0x5c, end + 1 < bytes.count, bytes[end + 1] == 0x6e || bytes[end + 1] == 0x72 { next = end + 2; break }
                    end += 1
                }
                if end == bytes.count { next = end }
                defer { start = next }
                if end > start, !isListing(UnsafeBufferPointer(rebasing: bytes[start..<end])),
                   errorMatcher.matches(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end])) {
                    if first == nil { first = start..<end }
                    if !tracebackMatcher.matches(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end])) { last = start..<end }
                }
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

    /// Phrases that report an error. Bare words such as "error" or "exception" are left out on
    /// purpose: they also occur in code and file listings ("except Exception", "on_error").
    static let errorMarkers = [
        "error:", "exception:", "] error", "traceback (most recent call last)", "fatal:", "panic:", "not found",
        "no such file", "permission denied", "failed", "failure", "cannot ", "can't ", "unable to",
        "segmentation fault", "killed", "timed out", "timeout expired", "refused", "unrecognized", "unknown option",
        "no space left", "out of memory", "syntaxerror", "invalid syntax", "err!", "error[",
    ]

    /// A line of a numbered file listing (`cat -n`, editors' read tools): source text, not an error.
    static func isListing(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < line.count, line[i] == 0x20 { i += 1 }
        let digits = i
        while i < line.count, line[i] >= 0x30, line[i] <= 0x39 { i += 1 }
        guard i > digits, i < line.count else { return false }
        // A tab, or the arrow U+2192 (E2 86 92) after the line number.
        return line[i] == 0x09 || (line[i] == 0xe2 && i + 2 < line.count && line[i + 1] == 0x86 && line[i + 2] == 0x92)
    }

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
