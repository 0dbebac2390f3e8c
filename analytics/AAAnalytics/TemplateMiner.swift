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

    private struct Node: Sendable {
        var children: [Int32: Int] = [:]
        var templates: [Int] = []
    }

    private var tokenTable: TokenTable
    private var hasDigits: [Bool] = [false]
    private var scratch: [UInt8] = []
    private var lineTokens: [Int32] = []
    private var nodes: [Node] = []
    private var roots: [Int: Int] = [:]
    private var templates: [[Int32]] = []
    private var sizes: [Int] = []

    /// One configuration for every kind of input: two token levels (Drain's depth 4), drain3's
    /// threshold 0.4, 100 children per node.
    public init(depth: Int = 2, similarity: Double = 0.4, maxChildren: Int = 100) {
        self.depth = max(1, depth)
        self.similarity = similarity
        self.maxChildren = max(2, maxChildren)
        tokenTable = TokenTable()
        var wildcard = TemplateMasker.wildcard
        _ = wildcard.withUTF8 { tokenTable.intern($0) }
    }

    /// How many templates have been mined.
    public var count: Int { templates.count }

    /// Adds a line and returns the id (from 1) of the template it now belongs to.
    @discardableResult
    public mutating func add(_ line: some StringProtocol) -> Int {
        // Reuse the buffers of the last line (moved out, so appending does not copy them).
        var tokens: [Int32] = []
        var scratch: [UInt8] = []
        swap(&tokens, &lineTokens)
        swap(&scratch, &self.scratch)
        tokens.removeAll(keepingCapacity: true)
        let contiguous: Bool? = line.utf8.withContiguousStorageIfAvailable { bytes in
            TemplateMasker.forEachToken(bytes, scratch: &scratch) { tokens.append(intern($0)) }
            return true
        }
        if contiguous == nil {
            Array(line.utf8).withUnsafeBufferPointer { bytes in
                TemplateMasker.forEachToken(bytes, scratch: &scratch) { tokens.append(intern($0)) }
            }
        }
        defer {
            swap(&tokens, &lineTokens)
            swap(&scratch, &self.scratch)
        }
        let leaf = route(tokens)
        if let (id, _) = best(in: nodes[leaf].templates, for: tokens) {
            // In place: the template array is not copied.
            for i in tokens.indices where templates[id][i] != tokens[i] && templates[id][i] != 0 { templates[id][i] = 0 }
            sizes[id] += 1
            return id + 1
        }
        templates.append(tokens)
        sizes.append(1)
        nodes[leaf].templates.append(templates.count - 1)
        return templates.count
    }

    /// The current template of an id from `add`, tokens joined by spaces.
    public func template(_ id: Int) -> String {
        guard id >= 1, id <= templates.count else { return "" }
        return templates[id - 1].map { tokenTable.string($0) }.joined(separator: " ")
    }

    /// How many lines joined the template.
    public func size(_ id: Int) -> Int {
        guard id >= 1, id <= sizes.count else { return 0 }
        return sizes[id - 1]
    }

    private mutating func intern(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        let id = tokenTable.intern(token)
        if Int(id) == hasDigits.count { hasDigits.append(token.contains { $0 >= 0x30 && $0 <= 0x39 }) }
        return id
    }

    /// The leaf for these tokens, creating the path as Drain does.
    private mutating func route(_ tokens: [Int32]) -> Int {
        var node: Int
        if let root = roots[tokens.count] {
            node = root
        } else {
            nodes.append(Node())
            node = nodes.count - 1
            roots[tokens.count] = node
        }
        for level in 0..<min(depth, tokens.count) {
            let token = tokens[level]
            if let next = nodes[node].children[token] { node = next; continue }
            let children = nodes[node].children
            let key: Int32
            if token == 0 || hasDigits[Int(token)] {
                key = 0
            } else if children[0] != nil {
                key = children.count < maxChildren ? token : 0
            } else {
                key = children.count + 1 < maxChildren ? token : 0
            }
            if let next = children[key] { node = next; continue }
            nodes.append(Node())
            nodes[node].children[key] = nodes.count - 1
            node = nodes.count - 1
        }
        return node
    }

    /// The most similar template in a leaf that reaches the threshold (ties: more wildcards).
    private func best(in candidates: [Int], for tokens: [Int32]) -> (Int, Double)? {
        var bestId = -1
        var bestSimilarity = -1.0
        var bestWildcards = -1
        for id in candidates {
            let template = templates[id]
            var equal = 0
            var wildcards = 0
            for i in template.indices {
                if template[i] == 0 { wildcards += 1 } else if template[i] == tokens[i] { equal += 1 }
            }
            let s = tokens.isEmpty ? 1.0 : Double(equal + wildcards) / Double(tokens.count)
            if s > bestSimilarity || (s == bestSimilarity && wildcards > bestWildcards) {
                bestId = id
                bestSimilarity = s
                bestWildcards = wildcards
            }
        }
        guard bestId >= 0, bestSimilarity >= similarity else { return nil }
        return (bestId, bestSimilarity)
    }
}
