/// Aggregates of a numeric value over a group of rows (missing values, NaN, are skipped).
public struct Aggregate: Sendable, Equatable, Codable {
    public var key: String
    /// Rows in the group, counting those with a missing value.
    public var rows: Int
    public var sum: Double
    public var mean: Double
    public var min: Double
    public var max: Double
    public var median: Double

    init(key: String, rows: Int, values: [Double]) {
        self.key = key
        self.rows = rows
        let present = values.filter { !$0.isNaN }.sorted()
        sum = present.reduce(0, +)
        mean = present.isEmpty ? .nan : sum / Double(present.count)
        min = present.first ?? .nan
        max = present.last ?? .nan
        median = Aggregate.median(sorted: present)
    }

    /// The median of sorted values (the mean of the middle two for an even count), NaN when empty.
    public static func median(sorted values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let mid = values.count / 2
        return values.count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2
    }
}

extension StringColumn {
    /// Groups rows by this column's value (missing values form the group keyed "") and aggregates
    /// `value` per group; groups come out in descending row count, then key order.
    public func groupBy(rows: some Sequence<Int>, value: (Int) -> Double) -> [Aggregate] {
        var groups: [Int32: (rows: Int, values: [Double])] = [:]
        for row in rows {
            groups[codes[row], default: (0, [])].rows += 1
            groups[codes[row]]!.values.append(value(row))
        }
        return groups.map { code, g in
            Aggregate(key: code < 0 ? "" : dictionary[Int(code)], rows: g.rows, values: g.values)
        }.sorted { ($0.rows, $1.key) > ($1.rows, $0.key) }
    }

    /// Counts rows per value, in descending count order.
    public func counts(rows: some Sequence<Int>) -> [(key: String, count: Int)] {
        groupBy(rows: rows) { _ in .nan }.map { ($0.key, $0.rows) }
    }
}

extension TraceTables {
    /// Mean, sum and spread of reward per task, over the given trials (all by default).
    public func rewardByTask(trials rows: [Int]? = nil) -> [Aggregate] {
        trials.task.groupBy(rows: rows ?? Array(0..<trials.count)) { trials.reward[$0] }
    }

    /// Rows of the steps table that satisfy a predicate, in order.
    public func stepRows(where predicate: (Int) -> Bool) -> [Int] {
        (0..<steps.count).filter(predicate)
    }
}
