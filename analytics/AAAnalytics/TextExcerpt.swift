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

    /// The first line of text that reports an error, bounded to 300 bytes.
    public static func errorLine(_ text: String) -> String? {
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) where looksLikeError(line) {
            return bounded(line.trimmingWhitespace(), limit: 300)
        }
        return nil
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

    /// Whether a line reads like an error report.
    public static func looksLikeError(_ line: some StringProtocol) -> Bool {
        let lower = line.lowercased()
        return errorMarkers.contains { lower.contains($0) }
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
