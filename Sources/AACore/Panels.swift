import Foundation

/// The three task panels of an optimize run: **search** (the meta-agent sees names, traces and
/// reports), **validation** (scores only, a veto on regressions) and **test** (read only for reporting).
public struct Panels: Sendable, Equatable, Codable {
    public var search: [String]
    public var validation: [String]
    public var test: [String]

    public init(search: [String], validation: [String], test: [String]) {
        self.search = search
        self.validation = validation
        self.test = test
    }

    /// Every task of every panel.
    public var all: [String] { search + validation + test }

    /// A problem with a panels file or a split.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Reads a TOML file `search = [...]`, `validation = [...]`, `test = [...]`. Every name must be a
    /// task of the suite, at most one panel per task, and search must not be empty.
    public static func load(file: String, suite: [String]) throws(Failure) -> Panels {
        guard let data = FileManager.default.contents(atPath: file) else { throw Failure("\(file): cannot read the panels file") }
        let values: [String: JSONValue]
        do { values = try TOMLDocument.parse(String(decoding: data, as: UTF8.self)) } catch {
            throw Failure("\(file):\(error.line): \(error.message)")
        }
        if let unknown = values.keys.sorted().first(where: { !["search", "validation", "test"].contains($0) }) {
            throw Failure("\(file): unknown key \"\(unknown)\" (known: search, validation, test)")
        }
        func list(_ key: String) throws(Failure) -> [String] {
            guard let value = values[key] else { return [] }
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw Failure("\(file): \(key) must be a list of task names")
            }
            return items.compactMap(\.stringValue)
        }
        let panels = Panels(search: try list("search"), validation: try list("validation"), test: try list("test"))
        let known = Set(suite)
        var seen: [String: String] = [:]
        for (panel, names) in [("search", panels.search), ("validation", panels.validation), ("test", panels.test)] {
            for name in names {
                guard known.contains(name) else { throw Failure("\(file): \(panel) names \"\(name)\", which is not a task of the suite") }
                if let other = seen[name] { throw Failure("\(file): \"\(name)\" is in both \(other) and \(panel)") }
                seen[name] = panel
            }
        }
        guard !panels.search.isEmpty else { throw Failure("\(file): the search panel is empty") }
        return panels
    }

    /// Splits tasks deterministically: the names are sorted, shuffled by a generator seeded with
    /// `seed`, and cut by `fractions` (search, validation, test; rounded, search taking the
    /// remainder). Each panel gets at least one task when the suite has three or more; with two,
    /// search and validation get one each; with one, it is search.
    public static func split(_ tasks: [String], seed: UInt64, fractions: (Double, Double, Double) = (0.5, 0.25, 0.25)) -> Panels {
        var rng = SplitMix64(seed: seed)
        var names = Array(Set(tasks)).sorted()
        for i in stride(from: names.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            names.swapAt(i, j)
        }
        let n = names.count
        let total = fractions.0 + fractions.1 + fractions.2
        var validation = Int((Double(n) * fractions.1 / total).rounded())
        var test = Int((Double(n) * fractions.2 / total).rounded())
        if n >= 3 {
            validation = max(1, validation)
            test = max(1, test)
            while n - validation - test < 1 {
                if validation >= test { validation -= 1 } else { test -= 1 }
            }
        } else {
            validation = n == 2 ? 1 : 0
            test = 0
        }
        let search = n - validation - test
        return Panels(search: Array(names[0..<search]).sorted(),
                      validation: Array(names[search..<(search + validation)]).sorted(),
                      test: Array(names[(search + validation)...]).sorted())
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same sequence everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
