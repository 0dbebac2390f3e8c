import Foundation

/// Rejects a harness edit before it is evaluated, in code rather than by prompt. An edit is
/// rejected when it
/// - changes nothing;
/// - touches a path outside the harness (absolute, `..`, `.git/`) or leaves a symbolic link in the
///   harness that points outside it;
/// - adds text naming a task of any panel: the name (4 characters or more) as a whole word,
///   case-insensitively, also with `-` read as `_` or a space;
/// - adds text containing a verifier literal: a quoted string of 12 characters or more in a task's
///   `tests/` files, or a line of 12 characters or more of a `tests/` data file (not a script),
///   unless the parent harness already contained it;
/// - changes `[model]`, `[sampling]` or `[prices]` of harness.toml without `allow: model`, or
///   `[budget]` without `allow: budgets` in program.md's Directive.
public struct EditGuard: Sendable {
    /// One changed file of an edit: its path relative to the harness and its text before and after
    /// (nil: absent on that side).
    public struct Change: Sendable, Equatable {
        public var path: String
        public var before: String?
        public var after: String?
        public init(path: String, before: String?, after: String?) {
            self.path = path
            self.before = before
            self.after = after
        }
    }

    public static let minimumNameLength = 4
    public static let minimumLiteralLength = 12

    public let taskNames: [String]
    public let verifierLiterals: [String]
    public let directive: ProgramDirective
    /// Names a rejection reason may repeat (the search panel's); others are "a held-out task", so
    /// the ledger the meta-agent reads never names a held-out task.
    public let visibleNames: Set<String>

    public init(taskNames: [String], verifierLiterals: [String], directive: ProgramDirective, visibleNames: Set<String> = []) {
        self.taskNames = taskNames.filter { $0.count >= Self.minimumNameLength }
        self.verifierLiterals = verifierLiterals
        self.directive = directive
        self.visibleNames = visibleNames
    }

    /// The reason the edit is rejected, or nil when it may be evaluated.
    public func check(_ changes: [Change], harnessDirectory: String) -> String? {
        guard !changes.isEmpty else { return "the edit changes nothing" }
        for change in changes {
            if let reason = Self.pathProblem(change.path) { return reason }
        }
        if let link = Self.linkLeavingHarness(harnessDirectory) { return "\(link) is a symbolic link that points outside the harness" }
        for change in changes {
            let added = Self.addedText(before: change.before, after: change.after)
            guard !added.isEmpty else { continue }
            if let name = namedTask(in: added) {
                let which = visibleNames.contains(name) ? "the task \"\(name)\"" : "a held-out task"
                return "\(change.path) names \(which); edits must be general, not about a task"
            }
            if let literal = verifierLiterals.first(where: { added.contains($0) && !(change.before ?? "").contains($0) }) {
                return "\(change.path) copies a verifier literal (\(literal.count) characters) from a task's tests"
            }
        }
        if let toml = changes.first(where: { $0.path == "harness.toml" }) {
            if let reason = configProblem(before: toml.before ?? "", after: toml.after ?? "") { return reason }
        }
        return nil
    }

    /// Distinctive literals of the tasks' verifiers (`tests/` of every task).
    public static func verifierLiterals(testsDirectories: [String]) -> [String] {
        var literals = Set<String>()
        for root in testsDirectories {
            for relative in FileManager.default.subpaths(atPath: root) ?? [] {
                let path = root + "/" + relative
                guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
                      let text = String(data: data, encoding: .utf8) else { continue }
                let isScript = [".sh", ".py", ".js", ".rb", ".pl", ".bash"].contains { relative.hasSuffix($0) }
                literals.formUnion(quotedStrings(text))
                if !isScript {
                    for line in text.split(separator: "\n") {
                        let trimmed = line.trimmingCharacters(in: .whitespaces)
                        if trimmed.count >= minimumLiteralLength { literals.insert(trimmed) }
                    }
                }
            }
        }
        return literals.sorted()
    }

    static func quotedStrings(_ text: String) -> [String] {
        var out: [String] = []
        for quote in ["\"", "'"] {
            let pattern = quote + "([^" + quote + "\\n]{\(minimumLiteralLength),200})" + quote
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let ns = text as NSString
            for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let literal = ns.substring(with: match.range(at: 1)).trimmingCharacters(in: .whitespaces)
                if literal.count >= minimumLiteralLength, literal.contains(where: { $0.isLetter || $0.isNumber }) { out.append(literal) }
            }
        }
        return out
    }

    /// Lines of `after` that `before` does not have (as multisets), joined.
    static func addedText(before: String?, after: String?) -> String {
        guard let after else { return "" }
        var old: [Substring: Int] = [:]
        for line in (before ?? "").split(separator: "\n", omittingEmptySubsequences: false) { old[line, default: 0] += 1 }
        var added: [Substring] = []
        for line in after.split(separator: "\n", omittingEmptySubsequences: false) {
            if let n = old[line], n > 0 { old[line] = n - 1 } else { added.append(line) }
        }
        return added.joined(separator: "\n")
    }

    func namedTask(in text: String) -> String? {
        let lowered = text.lowercased()
        for name in taskNames {
            let base = name.lowercased()
            let variants = Set([base, base.replacingOccurrences(of: "-", with: "_"), base.replacingOccurrences(of: "-", with: " "),
                                base.replacingOccurrences(of: "_", with: "-")])
            for variant in variants where Self.containsWord(variant, in: lowered) { return name }
        }
        return nil
    }

    static func containsWord(_ word: String, in text: String) -> Bool {
        var searchRange = text.startIndex..<text.endIndex
        while let range = text.range(of: word, range: searchRange) {
            let beforeOK = range.lowerBound == text.startIndex || !isWordCharacter(text[text.index(before: range.lowerBound)])
            let afterOK = range.upperBound == text.endIndex || !isWordCharacter(text[range.upperBound])
            if beforeOK && afterOK { return true }
            searchRange = text.index(after: range.lowerBound)..<text.endIndex
        }
        return false
    }

    private static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" }

    static func pathProblem(_ path: String) -> String? {
        if path.hasPrefix("/") { return "\(path) is an absolute path, outside the harness" }
        let parts = path.split(separator: "/")
        if parts.contains("..") { return "\(path) leaves the harness" }
        if parts.first == ".git" { return "\(path) is inside the harness repository's .git" }
        return nil
    }

    /// The first symbolic link under `root` whose target resolves outside it.
    static func linkLeavingHarness(_ root: String) -> String? {
        let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        for relative in (FileManager.default.subpaths(atPath: root) ?? []).sorted() where !relative.hasPrefix(".git") {
            let path = root + "/" + relative
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { continue }
            let resolved = target.hasPrefix("/")
                ? URL(fileURLWithPath: target).standardizedFileURL.path
                : URL(fileURLWithPath: (path as NSString).deletingLastPathComponent + "/" + target).standardizedFileURL.path
            let real = URL(fileURLWithPath: resolved).resolvingSymlinksInPath().path
            if !(real == base || real.hasPrefix(base + "/")) { return relative }
        }
        return nil
    }

    func configProblem(before: String, after: String) -> String? {
        let old = (try? TOMLDocument.parse(before)) ?? [:]
        let new: [String: JSONValue]
        do { new = try TOMLDocument.parse(after) } catch { return nil }
        if !directive.allowModel {
            for table in ["model", "sampling", "prices"] where old[table] != new[table] {
                return "harness.toml: [\(table)] changed, but program.md's Directive does not say `allow: model`"
            }
        }
        if !directive.allowBudgets, old["budget"] != new["budget"] {
            return "harness.toml: [budget] changed, but program.md's Directive does not say `allow: budgets`"
        }
        return nil
    }
}
