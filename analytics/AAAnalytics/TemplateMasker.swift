/// Splits a line into tokens and masks the variable parts of each token before template mining:
/// paths (and so temp dirs) become `<*>`, and inside a token every run of hex digits and
/// separators that holds a decimal digit (numbers, hex, hashes, IPs, times, ids) becomes `<*>`.
/// One general rule set, no per-dataset configuration.
public enum TemplateMasker {
    /// The wildcard every masked part and every generalized position is written as.
    public static let wildcard = "<*>"

    /// The masked tokens of a line (split on whitespace).
    public static func tokens(_ line: some StringProtocol) -> [String] {
        var result: [String] = []
        var scratch: [UInt8] = []
        var text = String(line)
        text.withUTF8 { bytes in
            forEachToken(bytes, scratch: &scratch) { result.append(String(decoding: $0, as: UTF8.self)) }
        }
        return result
    }

    /// The masked line as one string (tokens joined by single spaces).
    public static func masked(_ line: some StringProtocol) -> String {
        tokens(line).joined(separator: " ")
    }

    /// Calls body with the masked bytes of each whitespace-separated token, allocating nothing per token.
    public static func forEachToken(_ bytes: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = -1
        func emit(_ token: UnsafeBufferPointer<UInt8>) {
            if needsMask(token) {
                scratch.removeAll(keepingCapacity: true)
                mask(token, into: &scratch)
                scratch.withUnsafeBufferPointer(body)
            } else {
                body(token)
            }
        }
        for i in 0..<bytes.count {
            let byte = bytes[i]
            if byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d {
                if start >= 0 { emit(UnsafeBufferPointer(rebasing: bytes[start..<i])); start = -1 }
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 { emit(UnsafeBufferPointer(rebasing: bytes[start...])) }
    }

    /// Whether a token has a digit or a slash (the only tokens masking can change).
    @inline(__always) static func needsMask(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in token where (c >= 0x30 && c <= 0x39) || c == 0x2f { return true }
        return false
    }

    /// Appends the masked token to out.
    static func mask(_ token: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        if isPath(token) {
            // Quotes and brackets around a path, and punctuation after it, stay.
            var start = 0, end = token.count
            while start < end, opening.contains(token[start]) { start += 1 }
            while end > start, closing.contains(token[end - 1]) { end -= 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: token[..<start]))
            out.append(contentsOf: wildcardBytes)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: token[end...]))
            return
        }
        let base = out.count
        var i = 0
        let n = token.count
        while i < n {
            let c0 = token[i]
            // Runs start at a digit, or at a hex letter that does not continue a word.
            guard isDigit(c0) || (isHex(c0) && (i == 0 || !isLetter(token[i - 1]))) else {
                out.append(c0)
                i += 1
                continue
            }
            // A run of hex digits (with a 0x prefix), separators allowed between them.
            var j = i
            var end = i
            var hasDigit = false
            while j < n {
                let c = token[j]
                if isHex(c) || (j == i + 1 && (c == 0x78 || c == 0x58) && c0 == 0x30) {
                    if isDigit(c) { hasDigit = true }
                    j += 1
                    end = j
                } else if isSeparator(c), j + 1 < n, isHex(token[j + 1]) {
                    j += 1
                } else {
                    break
                }
            }
            if hasDigit {
                // A leading sign belongs to the number.
                if out.count > base, out[out.count - 1] == 0x2d, out.count - 1 == base || !isAlnum(out[out.count - 2]) { out.removeLast() }
                if !endsWithWildcard(out, base: base) { out.append(contentsOf: wildcardBytes) }
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: token[i..<end]))
            }
            i = end
        }
    }

    private static let wildcardBytes = Array(wildcard.utf8)
    private static let opening: Set<UInt8> = [0x22, 0x27, 0x28, 0x5b, 0x3c, 0x3d, 0x60]
    private static let closing: Set<UInt8> = [0x22, 0x27, 0x29, 0x5d, 0x3e, 0x3a, 0x2c, 0x3b, 0x60, 0x2e]

    private static func endsWithWildcard(_ bytes: [UInt8], base: Int) -> Bool {
        bytes.count - base >= 3 && bytes[bytes.count - 3] == 0x3c && bytes[bytes.count - 2] == 0x2a && bytes[bytes.count - 1] == 0x3e
    }

    /// A file-system path: starts with `/`, `~/`, `./` or `../`, or has two or more slashes.
    private static func isPath(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        var slashes = 0
        for c in token where c == 0x2f { slashes += 1 }
        guard slashes > 0 else { return false }
        var start = 0
        while start < token.count, opening.contains(token[start]) {
            start += 1
        }
        guard start < token.count else { return false }
        let c = token[start]
        if c == 0x2f { return token.count - start > 1 }
        if c == 0x7e || c == 0x2e { return true }
        return slashes >= 2
    }

    @inline(__always) private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) private static func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }
    @inline(__always) private static func isSeparator(_ c: UInt8) -> Bool {
        c == 0x2e || c == 0x3a || c == 0x2d || c == 0x5f
    }
    @inline(__always) private static func isLetter(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
    }
    @inline(__always) private static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
}
