import Foundation

/// What the human's Directive in `program.md` permits beyond the fixed policy: a line of the
/// Directive section that is exactly `allow: model`, `allow: budgets` or `allow: model, budgets`
/// (optionally as a list item). Text that merely mentions these words does not count.
public struct ProgramDirective: Sendable, Equatable, Codable {
    public var allowModel = false
    public var allowBudgets = false

    public init(allowModel: Bool = false, allowBudgets: Bool = false) {
        self.allowModel = allowModel
        self.allowBudgets = allowBudgets
    }

    /// Reads the `## Directive` section (up to the next `## ` heading) of program.md text.
    public static func parse(_ programText: String) -> ProgramDirective {
        var directive = ProgramDirective()
        var inDirective = false
        for raw in programText.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("## ") {
                inDirective = line.dropFirst(3).trimmingCharacters(in: .whitespaces).lowercased() == "directive"
                continue
            }
            guard inDirective else { continue }
            var body = Substring(line)
            if body.hasPrefix("- ") || body.hasPrefix("* ") { body = body.dropFirst(2) }
            guard body.lowercased().hasPrefix("allow:") else { continue }
            for word in body.dropFirst("allow:".count).split(separator: ",") {
                switch word.trimmingCharacters(in: .whitespaces).lowercased() {
                case "model": directive.allowModel = true
                case "budgets": directive.allowBudgets = true
                default: break
                }
            }
        }
        return directive
    }
}
