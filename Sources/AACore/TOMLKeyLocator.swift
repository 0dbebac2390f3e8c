import Foundation

/// Finds the line that sets a dotted key in TOML text, so errors about a parsed value can point at it.
enum TOMLKeyLocator {
    /// The 1-based line of `path` (e.g. "budget.turns", "validators[1]" → "validators"); for a table,
    /// its header line; nil when not found.
    static func line(of path: String, in text: String) -> Int? {
        let target = normalise(path.split(separator: ".").map { String($0.split(separator: "[").first ?? "") })
        var table: [String] = []
        var best: Int?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("[") {
                let inner = line.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                    .split(separator: "]").first.map(String.init) ?? ""
                table = keyParts(inner)
                if normalise(table) == target { return index + 1 }
                if best == nil, !table.isEmpty, target.starts(with: normalise(table)) == false, normalise(table).starts(with: target) {
                    best = index + 1
                }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = keyParts(String(line[..<eq]))
            let full = normalise(table + key)
            if full == target { return index + 1 }
            if best == nil, full.starts(with: target) { best = index + 1 }
        }
        return best
    }

    private static func keyParts(_ key: String) -> [String] {
        key.split(separator: ".").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'")) }
    }

    private static func normalise(_ parts: [String]) -> [String] { parts.filter { !$0.isEmpty } }
}
