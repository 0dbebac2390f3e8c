import Foundation

/// CSV field quoting (RFC 4180): fields with commas, quotes or line breaks are quoted.
public enum CSV {
    /// One field, quoted when it needs to be.
    public static func field(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x2c || $0 == 0x22 || $0 == 0x0a || $0 == 0x0d }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record from fields, without the line break.
    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }
}
