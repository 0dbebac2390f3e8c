/// A Drain-style online template miner (He et al., ICWS 2017): masked lines are routed through a
/// fixed-depth tree by token count and leading tokens to a leaf of templates; a line joins the
/// most similar template when the share of equal tokens reaches `similarity`, which then turns
/// the differing positions into `<*>`, and otherwise starts a new template.
public struct TemplateMiner: Sendable {
    /// Token levels of the routing tree below the length level.
    public let depth: Int
    /// Least share of equal (non-wildcard) tokens for a line to join a template.
    public let similarity: Double
    /// Most children of a tree node before further tokens share the wildcard child.
    public let maxChildren: Int

    /// Masked tokens as ids (0 is the wildcard) and, per id, whether it has a decimal digit.
    private var tokenTable = TokenTable()
    private var hasDigits: [Bool] = []
    /// The last line's tokens and the scanner's buffer.
    private var lineTokens: [Int32] = []
    private var scanBuffer: [UInt8] = []
    /// The routing tree: the node for each token count, the edges, per node its child count and
    /// the first and last template of its leaf list.
    private var roots: [Int32] = []
    /// Per token count: the fewest positions a template must match to reach `similarity`.
    private var minimumMatches: [Int] = []
    private var edges = EdgeTable()
    private var childCounts: [Int32] = []
    private var firstTemplate: [Int32] = []
    private var lastTemplate: [Int32] = []
    /// Templates, by id − 1: where their tokens start in `templateTokens`, how many, how many
    /// lines joined them, and the next template of the same leaf (−1 at the end).
    private var templateTokens: [Int32] = []
    private var templateStart: [Int] = []
    private var templateCount: [Int32] = []
    private var sizes: [Int] = []
    private var nextInLeaf: [Int32] = []

    /// One configuration for every kind of input: two token levels (Drain's depth 4), drain3's
    /// threshold 0.4, 100 children per node.
    public init(depth: Int = 2, similarity: Double = 0.4, maxChildren: Int = 100) {
        self.depth = max(1, depth)
        self.similarity = similarity
        self.maxChildren = max(2, maxChildren)
        // Interned from a padded copy: the table reads eight bytes past a token.
        let wildcard = Array(TemplateMasker.wildcard.utf8) + Array(repeating: 0, count: 8)
        _ = wildcard.withUnsafeBufferPointer { intern(UnsafeBufferPointer(rebasing: $0[..<3])) }
    }

    /// How many templates have been mined.
    public var count: Int { templateStart.count }

    /// Adds a line and returns the id (from 1) of the template it now belongs to.
    @discardableResult
    public mutating func add(_ line: String) -> Int {
        var line = line
        return line.withUTF8 { add(utf8: $0) }
    }

    private mutating func add(utf8 line: UnsafeBufferPointer<UInt8>) -> Int {
        // Work in buffers moved out of self, so that self can change while they are borrowed.
        var tokens: [Int32] = []
        var buffer: [UInt8] = []
        swap(&tokens, &lineTokens)
        swap(&buffer, &scanBuffer)
        defer {
            swap(&tokens, &lineTokens)
            swap(&buffer, &scanBuffer)
        }
        // A line of n bytes has at most n / 2 + 1 tokens.
        let needed = TokenScanner.bufferSize(line.count)
        if buffer.count < needed { buffer = [UInt8](repeating: 0, count: max(needed, 2 * buffer.count)) }
        if tokens.count < line.count / 2 + 1 { tokens = [Int32](repeating: 0, count: max(line.count / 2 + 1, 2 * tokens.count)) }
        return buffer.withUnsafeMutableBufferPointer { buffer in
            tokens.withUnsafeMutableBufferPointer { all in
                var scanner = TokenScanner(line, buffer: buffer)
                var n = 0
                while let token = scanner.next() {
                    all[n] = isWildcard(token) ? 0 : intern(token)
                    n += 1
                }
                return add(UnsafeBufferPointer(rebasing: all[..<n]))
            }
        }
    }

    /// Adds a line's tokens: joins the best template of their leaf or starts one.
    private mutating func add(_ tokens: UnsafeBufferPointer<Int32>) -> Int {
        let n = tokens.count
        let leaf = route(tokens)
        if let (id, exact) = best(in: leaf, for: tokens) {
            if !exact {
                let start = templateStart[id]
                templateTokens.withUnsafeMutableBufferPointer { all in
                    // Positions where the line differs become wildcards.
                    for i in 0..<n where all[start + i] != tokens[i] && all[start + i] != 0 { all[start + i] = 0 }
                }
            }
            sizes[id] += 1
            return id + 1
        }
        let id = Int32(templateStart.count)
        templateStart.append(templateTokens.count)
        templateCount.append(Int32(n))
        templateTokens.append(contentsOf: tokens)
        sizes.append(1)
        nextInLeaf.append(-1)
        if lastTemplate[leaf] < 0 { firstTemplate[leaf] = id } else { nextInLeaf[Int(lastTemplate[leaf])] = id }
        lastTemplate[leaf] = id
        return Int(id) + 1
    }

    /// The current template of an id from `add`, tokens joined by spaces.
    public func template(_ id: Int) -> String {
        guard id >= 1, id <= count else { return "" }
        let start = templateStart[id - 1]
        return templateTokens[start..<(start + Int(templateCount[id - 1]))].map { tokenTable.string($0) }.joined(separator: " ")
    }

    /// How many lines joined the template.
    public func size(_ id: Int) -> Int {
        guard id >= 1, id <= sizes.count else { return 0 }
        return sizes[id - 1]
    }

    /// Whether a token is `<*>` (most masked numbers and paths are), id 0.
    @inline(__always) private func isWildcard(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        token.count == 3 && token[0] == 0x3c && token[1] == 0x2a && token[2] == 0x3e
    }

    @inline(__always) private mutating func intern(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        let id = tokenTable.intern(token)
        if Int(id) == hasDigits.count { hasDigits.append(token.contains { TemplateMasker.isDigit($0) }) }
        return id
    }

    private mutating func newNode() -> Int32 {
        childCounts.append(0)
        firstTemplate.append(-1)
        lastTemplate.append(-1)
        return Int32(childCounts.count - 1)
    }

    /// The leaf for these tokens, creating the path as Drain does: a token with a digit, or one
    /// that finds its node full, goes to the node's wildcard child.
    private mutating func route(_ tokens: UnsafeBufferPointer<Int32>) -> Int {
        while tokens.count >= roots.count {
            let n = roots.count
            roots.append(-1)
            var needed = 0
            if n == 0 {
                needed = similarity <= 1 ? 0 : 1
            } else {
                while needed <= n, Double(needed) / Double(n) < similarity { needed += 1 }
            }
            minimumMatches.append(needed)
        }
        var node = roots[tokens.count]
        if node < 0 {
            node = newNode()
            roots[tokens.count] = node
        }
        for level in 0..<min(depth, tokens.count) {
            let token = tokens[level]
            if let next = edges[node, token] { node = next; continue }
            let children = Int(childCounts[Int(node)])
            let key: Int32
            if token == 0 || hasDigits[Int(token)] {
                key = 0
            } else if edges[node, 0] != nil {
                key = children < maxChildren ? token : 0
            } else {
                key = children + 1 < maxChildren ? token : 0
            }
            if let next = edges[node, key] { node = next; continue }
            let child = newNode()
            edges[node, key] = child
            childCounts[Int(node)] += 1
            node = child
        }
        return Int(node)
    }

    /// The template of the leaf with the most positions equal to the line (wildcards count as
    /// equal; ties: more wildcards, then the older template), when their share reaches the
    /// threshold, and whether it already covers the line (matches every position).
    private func best(in leaf: Int, for tokens: UnsafeBufferPointer<Int32>) -> (id: Int, exact: Bool)? {
        let n = tokens.count
        let needed = minimumMatches[n]
        var bestId = -1
        var bestMatches = -1
        var bestWildcards = -1
        templateTokens.withUnsafeBufferPointer { all in
            var id = firstTemplate[leaf]
            while id >= 0 {
                let template = all.baseAddress! + templateStart[Int(id)]
                // A template that can no longer reach the threshold or the best so far is left early.
                let floor = max(needed, bestMatches)
                var mismatches = 0
                var wildcards = 0
                var i = 0
                while i < n {
                    let t = template[i]
                    if t == 0 { wildcards += 1 } else if t != tokens[i] {
                        mismatches += 1
                        if n - mismatches < floor { break }
                    }
                    i += 1
                }
                if i == n {
                    let matches = n - mismatches
                    if matches > bestMatches || (matches == bestMatches && wildcards > bestWildcards) {
                        bestId = Int(id)
                        bestMatches = matches
                        bestWildcards = wildcards
                    }
                }
                id = nextInLeaf[Int(id)]
            }
        }
        guard bestId >= 0, bestMatches >= needed else { return nil }
        return (bestId, bestMatches == n)
    }
}

/// The edges of the routing tree: (node, token) → child node, in one open-addressing table.
private struct EdgeTable: Sendable {
    private var keys = [UInt64](repeating: .max, count: 256)
    private var values = [Int32](repeating: -1, count: 256)
    private var used = 0

    @inline(__always) private static func key(_ node: Int32, _ token: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: token))
    }

    @inline(__always) private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9e37_79b9_7f4a_7c15) >> 32) & mask
    }

    subscript(node: Int32, token: Int32) -> Int32? {
        @inline(__always) get {
            let k = Self.key(node, token)
            let mask = keys.count - 1
            var s = Self.slot(k, mask)
            while true {
                let stored = keys[s]
                if stored == k { return values[s] }
                if stored == .max { return nil }
                s = (s + 1) & mask
            }
        }
        set {
            guard let newValue else { return }
            let k = Self.key(node, token)
            let mask = keys.count - 1
            var s = Self.slot(k, mask)
            while keys[s] != .max && keys[s] != k { s = (s + 1) & mask }
            if keys[s] == .max { used += 1 }
            keys[s] = k
            values[s] = newValue
            if used * 2 > keys.count { grow() }
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: .max, count: oldKeys.count * 2)
        values = [Int32](repeating: -1, count: oldKeys.count * 2)
        let mask = keys.count - 1
        for (k, v) in zip(oldKeys, oldValues) where k != .max {
            var s = Self.slot(k, mask)
            while keys[s] != .max { s = (s + 1) & mask }
            keys[s] = k
            values[s] = v
        }
    }
}
