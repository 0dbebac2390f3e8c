/// Finds any of a fixed set of ASCII keywords in text, ignoring ASCII case, by scanning UTF-8
/// bytes once (the detectors and error-line finder run it over millions of lines).
public struct KeywordMatcher: Sendable {
    private let words: [[UInt8]]
    /// Indices of `words` by their first (lower-case) byte.
    private let byFirst: [[Int]]
    /// Whether some keyword starts with a byte (either case), for a cheap first test.
    private let starts: [Bool]

    public init(_ words: [String]) {
        self.words = words.map { Array($0.lowercased().utf8) }.filter { !$0.isEmpty }
        var byFirst = Array(repeating: [Int](), count: 256)
        var starts = Array(repeating: false, count: 256)
        for (i, w) in self.words.enumerated() {
            byFirst[Int(w[0])].append(i)
            starts[Int(w[0])] = true
            if w[0] >= 0x61 && w[0] <= 0x7a { starts[Int(w[0] - 0x20)] = true }
        }
        self.byFirst = byFirst
        self.starts = starts
    }

    /// Whether the text holds one of the keywords.
    public func matches(_ text: some StringProtocol) -> Bool {
        var s = String(text)
        return s.withUTF8 { matches(bytes: $0) }
    }

    /// Whether the bytes hold one of the keywords.
    public func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = bytes.count
        return starts.withUnsafeBufferPointer { starts in
        for i in 0..<n where starts[Int(bytes[i])] {
            for w in byFirst[Int(Self.lower(bytes[i]))] {
                let word = words[w]
                guard i + word.count <= n else { continue }
                var k = 1
                while k < word.count, Self.lower(bytes[i + k]) == word[k] { k += 1 }
                if k == word.count { return true }
            }
        }
        return false
        }
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5a ? c | 0x20 : c }
}
