import Foundation

/// A linear axis for the report's SVG charts: maps data to pixels and picks round tick values.
struct ChartAxis {
    var lower: Double
    var upper: Double
    var start: Double
    var end: Double

    /// Maps a data value to a pixel coordinate.
    func callAsFunction(_ v: Double) -> Double {
        upper == lower ? (start + end) / 2 : start + (v - lower) / (upper - lower) * (end - start)
    }

    /// Round values between the bounds, about `count` of them.
    func ticks(_ count: Int, integers: Bool = false) -> [Double] {
        var step = Self.niceStep((upper - lower) / Double(max(1, count)))
        if integers { step = max(1, step.rounded(.up)) }
        guard step > 0, step.isFinite else { return [lower] }
        var v = (lower / step - 1e-9).rounded(.up) * step
        var out: [Double] = []
        while v <= upper + step * 1e-9 && out.count < 100 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw * (1 - 1e-9) { return m * magnitude }
        return 10 * magnitude
    }

    /// Bounds that include `values` with a margin, rounded to a tick step; within [0, 1] when the values are.
    static func scoreRange(_ values: [Double]) -> (Double, Double) {
        let finite = values.filter(\.isFinite)
        guard var lo = finite.min(), var hi = finite.max() else { return (0, 1) }
        let unit = lo >= 0 && hi <= 1
        let pad = max(0.02, (hi - lo) * 0.08)
        lo -= pad
        hi += pad
        if unit {
            // At least a fifth of the unit range, so equal scores do not fill the chart with ticks.
            let missing = max(0, 0.2 - (hi - lo))
            lo = max(0, lo - missing / 2)
            hi = min(1, max(hi + missing / 2, lo + 0.2))
            lo = min(lo, hi - 0.2)
        }
        let step = niceStep((hi - lo) / 6)
        return ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
    }
}

/// Pixel coordinates in SVG attributes: one decimal.
func px(_ v: Double) -> String { String(format: "%.1f", v) }

/// A tick label without trailing zeros.
func tickLabel(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    var s = String(format: "%.4f", v)
    while s.hasSuffix("0") { s.removeLast() }
    return s
}
