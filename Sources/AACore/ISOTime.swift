import Foundation

/// Timestamps in the ISO-8601 form Harbor's job files use.
public enum ISOTime {
    public static func string(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
