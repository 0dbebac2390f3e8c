/// Finds any of a fixed set of ASCII keywords in text, ignoring ASCII case, by scanning UTF-8
/// bytes once (the detectors and error-line finder run it over millions of lines).
public struct KeywordMatcher: Sendable {
    private let words: [[UInt8]]
    /// Indices of `words` by their first (lower-case) byte.
    private let byFirst: [[Int]]

    public init(_ words: [String]) {
        self.words = words.map { Array($0.lowercased().utf8) }.filter { !$0.isEmpty }
        var byFirst = Array(repeating: [Int](), count: 256)
        for (i, w) in self.words.enumerated() { byFirst[Int(w[0])].append(i) }
        self.byFirst = byFirst
    }

    /// Whether the text holds one of the keywords.
    public func matches(_ text: some StringProtocol) -> Bool {
        var s = String(text)
        return s.withUTF8 { matches(bytes: $0) }
    }

    /// Whether the bytes hold one of the keywords.
    public func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = bytes.count
        for i in 0..<n {
            let candidates = byFirst[Int(Self.lower(bytes[i]))]
            guard !candidates.isEmpty else { continue }
            for w in candidates {
                let word = words[w]
                guard i + word.count <= n else { continue }
                var k = 1
                while k < word.count, Self.lower(bytes[i + k]) == word[k] { k += 1 }
                if k == word.count { return true }
            }
        }
        return false
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5a ? c | 0x20 : c }
}
