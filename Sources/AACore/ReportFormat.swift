import Foundation

/// How the optimize report writes numbers, the same in HTML, Markdown and the terminal summary.
public enum ReportFormat {
    /// A score with three decimals, or an en dash when there is none.
    public static func score(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%.3f", v)
    }

    /// A signed difference with three decimals.
    public static func delta(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%+.3f", v)
    }

    /// A p-value with three decimals, "<0.001" below that.
    public static func pValue(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return v < 0.001 ? "<0.001" : String(format: "%.3f", v)
    }

    /// Paired delta with its interval and p-value, e.g. "+0.041 [+0.010, +0.072] p=0.012".
    public static func test(statistic: Double?, low: Double?, high: Double?, p: Double?) -> String {
        guard statistic != nil || p != nil else { return "–" }
        var s = delta(statistic)
        if low != nil || high != nil { s += " [\(delta(low)), \(delta(high))]" }
        if let p { s += " p=\(pValue(p))" }
        return s
    }

    /// Dollars: cents, or four decimals under a cent.
    public static func usd(_ v: Double) -> String {
        if v > 0 && v < 0.01 { return String(format: "$%.4f", v) }
        return v >= 1000 ? String(format: "$%.0f", v) : String(format: "$%.2f", v)
    }

    /// A token count, shortened to k, M or G.
    public static func tokens(_ n: Int) -> String {
        let v = Double(n)
        if abs(v) >= 1e9 { return String(format: "%.2fG", v / 1e9) }
        if abs(v) >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if abs(v) >= 1e4 { return String(format: "%.1fk", v / 1e3) }
        return String(n)
    }

    /// Seconds as "1h 05m", "4m 12s" or "37s".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh %02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm %02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    /// "spent of cap (share)" or just "spent" without a cap.
    public static func spend<V>(_ spend: OptimizeReport.Spend<V>, _ format: (V) -> String, share: (V, V) -> Double) -> String {
        guard let cap = spend.cap else { return format(spend.spent) }
        return "\(format(spend.spent)) of \(format(cap)) (\(String(format: "%.0f", 100 * share(spend.spent, cap)))%)"
    }
}
