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
        var text = String(line)
        text.withUTF8 { bytes in
            var buffer = [UInt8](repeating: 0, count: TokenScanner.bufferSize(bytes.count))
            buffer.withUnsafeMutableBufferPointer { buffer in
                var scanner = TokenScanner(bytes, buffer: buffer)
                while let token = scanner.next() { result.append(String(decoding: token, as: UTF8.self)) }
            }
        }
        return result
    }

    /// The masked line as one string (tokens joined by single spaces).
    public static func masked(_ line: some StringProtocol) -> String {
        tokens(line).joined(separator: " ")
    }

    /// Most bytes `mask` writes for a token of `count` bytes (each masked run may grow to `<*>`).
    static func maskedCapacity(_ count: Int) -> Int { 3 * count + 3 }

    /// Writes the masked token to out (room for `maskedCapacity(token.count)` bytes) and returns
    /// its length; `hasSlash` tells whether the token has a `/` (only those can be paths).
    static func mask(_ token: UnsafeBufferPointer<UInt8>, hasSlash: Bool, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = token.count
        var n = 0
        @inline(__always) func put(_ c: UInt8) { out[n] = c; n += 1 }
        @inline(__always) func putWildcard() { out[n] = 0x3c; out[n + 1] = 0x2a; out[n + 2] = 0x3e; n += 3 }
        if hasSlash, isPath(token) {
            // Quotes and brackets around a path, and punctuation after it, stay.
            var start = 0, end = count
            while start < end, isOpening(token[start]) { start += 1 }
            while end > start, isClosing(token[end - 1]) { end -= 1 }
            for k in 0..<start { put(token[k]) }
            putWildcard()
            for k in end..<count { put(token[k]) }
            return n
        }
        if isDigit(token[0]), isDigit(token[count - 1]), isNumber(token) {
            putWildcard()
            return n
        }
        var i = 0
        while i < count {
            let c0 = token[i]
            // Runs start at a digit, or at a hex letter that does not continue a word.
            guard isDigit(c0) || (isHex(c0) && (i == 0 || !isLetter(token[i - 1]))) else {
                put(c0)
                i += 1
                continue
            }
            // A run of hex digits (with a 0x prefix), separators allowed between them.
            var j = i
            var end = i
            var hasDigit = false
            while j < count {
                let c = token[j]
                if isHex(c) || (j == i + 1 && (c == 0x78 || c == 0x58) && c0 == 0x30) {
                    if isDigit(c) { hasDigit = true }
                    j += 1
                    end = j
                } else if isSeparator(c), j + 1 < count, isHex(token[j + 1]) {
                    j += 1
                } else {
                    break
                }
            }
            if hasDigit {
                // A leading sign belongs to the number.
                if n > 0, out[n - 1] == 0x2d, n == 1 || !isAlnum(out[n - 2]) { n -= 1 }
                if !(n >= 3 && out[n - 3] == 0x3c && out[n - 2] == 0x2a && out[n - 1] == 0x3e) { putWildcard() }
            } else {
                for k in i..<end { put(token[k]) }
            }
            i = end
        }
        return n
    }

    /// Digits with single separators between them (a number, IP, time or version), which
    /// masking turns into one `<*>` as a whole.
    @inline(__always) private static func isNumber(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        var separator = false
        for c in token {
            if isDigit(c) {
                separator = false
            } else if isSeparator(c), !separator {
                separator = true
            } else {
                return false
            }
        }
        return true
    }

    /// A file-system path: starts with `/`, `~/`, `./` or `../`, or has two or more slashes.
    private static func isPath(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        var slashes = 0
        for c in token where c == 0x2f { slashes += 1 }
        guard slashes > 0 else { return false }
        var start = 0
        while start < token.count, isOpening(token[start]) {
            start += 1
        }
        guard start < token.count else { return false }
        let c = token[start]
        if c == 0x2f { return token.count - start > 1 }
        if c == 0x7e || c == 0x2e { return true }
        return slashes >= 2
    }

    /// Whether c is in the ASCII set given as two 64-bit masks (bytes 0–63, 64–127).
    @inline(__always) private static func member(_ c: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        c < 64 ? (low >> UInt64(c)) & 1 != 0 : c < 128 ? (high >> UInt64(c - 64)) & 1 != 0 : false
    }

    /// Quotes and brackets that may open a path: `" ' ( [ < = `` ` ``.
    @inline(__always) private static func isOpening(_ c: UInt8) -> Bool {
        member(c, 1 << 0x22 | 1 << 0x27 | 1 << 0x28 | 1 << 0x3c | 1 << 0x3d, 1 << (0x5b - 64) | 1 << (0x60 - 64))
    }

    /// Quotes, brackets and punctuation that may close a path: `" ' ) ] > : , ; `` ` `` .`.
    @inline(__always) private static func isClosing(_ c: UInt8) -> Bool {
        member(c, 1 << 0x22 | 1 << 0x27 | 1 << 0x29 | 1 << 0x3e | 1 << 0x3a | 1 << 0x2c | 1 << 0x3b | 1 << 0x2e,
               1 << (0x5d - 64) | 1 << (0x60 - 64))
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) private static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- 0x61 < 6 }
    @inline(__always) private static func isSeparator(_ c: UInt8) -> Bool {
        c == 0x2e || c == 0x3a || c == 0x2d || c == 0x5f
    }
    @inline(__always) private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
    @inline(__always) private static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
}

/// The masked tokens of a line's UTF-8 bytes, one at a time, allocating nothing: the line is
/// copied into the caller's buffer (with spaces after it, so that the scanner reads eight bytes
/// at a time), a token that masking leaves alone is a slice of that copy, and a masked one is
/// written behind it (valid until the next call). Eight bytes after every token are readable,
/// as `TokenTable` needs.
struct TokenScanner {
    private let line: UnsafeMutablePointer<UInt8>
    private let count: Int
    private let masked: UnsafeMutablePointer<UInt8>
    private var position = 0

    /// Bytes of buffer the scanner needs for a line of `count` bytes.
    static func bufferSize(_ count: Int) -> Int { count + 8 + TemplateMasker.maskedCapacity(count) + 8 }

    /// The buffer must hold `bufferSize(bytes.count)` bytes.
    init(_ bytes: UnsafeBufferPointer<UInt8>, buffer: UnsafeMutableBufferPointer<UInt8>) {
        line = buffer.baseAddress!
        count = bytes.count
        if let base = bytes.baseAddress { line.update(from: base, count: count) }
        (line + count).update(repeating: 0x20, count: 8)
        masked = line + count + 8
    }

    /// The next masked token, or nil at the end of the line.
    @inline(__always) mutating func next() -> UnsafeBufferPointer<UInt8>? {
        var i = position
        while i < count, Self.isSpace(line[i]) { i += 1 }
        guard i < count else { position = count; return nil }
        let start = i
        // Eight bytes at a time: where the token ends, and whether it has a digit or a slash.
        var digitsOrSlashes: UInt64 = 0
        var slashes: UInt64 = 0
        while true {
            let w = UnsafeRawPointer(line + i).loadUnaligned(as: UInt64.self)
            let low = Self.lowBytes(w)
            if low != 0 {
                let k = low.trailingZeroBitCount >> 3
                guard Self.isSpace(line[i + k]) else {
                    // A control byte: the rest of this token byte by byte.
                    while !Self.isSpace(line[i]) {
                        if line[i] &- 0x2f < 11 { digitsOrSlashes = 1 }
                        if line[i] == 0x2f { slashes = 1 }
                        i += 1
                    }
                    break
                }
                let keep = k == 0 ? 0 : UInt64.max >> (64 - 8 * k)
                let found = Self.digitOrSlashBytes(w) & keep
                if found != 0 {
                    digitsOrSlashes |= found
                    slashes |= Self.slashBytes(w) & keep
                }
                i += k
                break
            }
            let found = Self.digitOrSlashBytes(w)
            if found != 0 {
                digitsOrSlashes |= found
                slashes |= Self.slashBytes(w)
            }
            i += 8
        }
        position = i
        let token = UnsafeBufferPointer(start: line + start, count: i - start)
        guard digitsOrSlashes != 0 else { return token }
        return UnsafeBufferPointer(start: masked, count: TemplateMasker.mask(token, hasSlash: slashes != 0, into: masked))
    }

    /// Space, tab, line feed or carriage return.
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c <= 0x20 && (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d)
    }

    // Per-byte tests on eight bytes at once: the high bit of each byte of the result is the test
    // for that byte (exact, no carries between bytes).
    private static let high: UInt64 = 0x8080_8080_8080_8080
    private static let seven: UInt64 = 0x7f7f_7f7f_7f7f_7f7f

    /// Bytes below 0x21 (spaces and control bytes).
    @inline(__always) private static func lowBytes(_ w: UInt64) -> UInt64 {
        ~((w & seven) &+ 0x5f5f_5f5f_5f5f_5f5f) & ~w & high
    }

    /// Bytes from 0x2f to 0x39: a slash or a decimal digit.
    @inline(__always) private static func digitOrSlashBytes(_ w: UInt64) -> UInt64 {
        let low = w & seven
        return (low &+ 0x5151_5151_5151_5151) & ~(low &+ 0x4646_4646_4646_4646) & ~w & high
    }

    /// Bytes equal to 0x2f, a slash.
    @inline(__always) private static func slashBytes(_ w: UInt64) -> UInt64 {
        let x = w ^ 0x2f2f_2f2f_2f2f_2f2f
        return ~(((x & seven) &+ seven) | x) & high
    }
}
