import Foundation

/// What became of an optimize experiment.
public enum ExperimentStatus: String, Sendable, CaseIterable, Codable {
    case running, baseline, keep, discard, rejected, crash
}

/// The last evaluation stage an experiment reached.
public enum ExperimentStage: String, Sendable, CaseIterable, Codable {
    case propose, `guard`, checks, spot, search, validation, done
}

/// One row of the experiments ledger: a proposed harness edit and how it was judged.
public struct ExperimentRecord: Sendable, Equatable, Codable {
    public var id: Int
    public var round: Int
    public var candidate: Int
    public var commitID: String?
    public var parentCommit: String?
    public var status: ExperimentStatus
    public var stage: ExperimentStage
    public var description: String
    public var hypothesis: String
    public var reason: String
    public var panel: String
    public var trials: Int
    public var avgScore: Double?
    public var passed: Int?
    public var taskScores: [String: Double]
    public var parentScore: Double?
    public var validationScore: Double?
    public var parentValidationScore: Double?
    public var testScore: Double?
    public var statistic: Double?
    public var pValue: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var noiseFloor: Double?
    public var taskDeltas: [String: Double]
    public var costUSD: Double
    public var tokens: Int
    public var wallSeconds: Double
    public var failureModes: [String: Int]
    public var diff: String
    public var startedAt: String
    public var finishedAt: String?

    public init(id: Int, round: Int, candidate: Int = 0, commitID: String? = nil, parentCommit: String? = nil,
                status: ExperimentStatus = .running, stage: ExperimentStage = .propose, description: String,
                hypothesis: String = "", reason: String = "", panel: String = "search", trials: Int = 0,
                avgScore: Double? = nil, passed: Int? = nil, taskScores: [String: Double] = [:],
                parentScore: Double? = nil, validationScore: Double? = nil, parentValidationScore: Double? = nil,
                testScore: Double? = nil, statistic: Double? = nil, pValue: Double? = nil, ciLow: Double? = nil,
                ciHigh: Double? = nil, noiseFloor: Double? = nil, taskDeltas: [String: Double] = [:],
                costUSD: Double = 0, tokens: Int = 0, wallSeconds: Double = 0, failureModes: [String: Int] = [:],
                diff: String = "", startedAt: String = ISOTime.string(Date()), finishedAt: String? = nil) {
        self.id = id
        self.round = round
        self.candidate = candidate
        self.commitID = commitID
        self.parentCommit = parentCommit
        self.status = status
        self.stage = stage
        self.description = description
        self.hypothesis = hypothesis
        self.reason = reason
        self.panel = panel
        self.trials = trials
        self.avgScore = avgScore
        self.passed = passed
        self.taskScores = taskScores
        self.parentScore = parentScore
        self.validationScore = validationScore
        self.parentValidationScore = parentValidationScore
        self.testScore = testScore
        self.statistic = statistic
        self.pValue = pValue
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.noiseFloor = noiseFloor
        self.taskDeltas = taskDeltas
        self.costUSD = costUSD
        self.tokens = tokens
        self.wallSeconds = wallSeconds
        self.failureModes = failureModes
        self.diff = diff
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// The crash-safe ledger of an optimize run (`ledger.sqlite` in the run directory): run settings
/// as key/value pairs and one row per experiment.
public final class ExperimentLedger: Sendable {
    /// A ledger that cannot be read: the file and what is wrong with it.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    public let path: String
    private let db: SQLiteDatabase

    private static let columns = [
        "id", "round", "candidate", "commit_id", "parent_commit", "status", "stage", "description", "hypothesis",
        "reason", "panel", "trials", "avg_score", "passed", "task_scores", "parent_score", "validation_score",
        "parent_validation_score", "test_score", "statistic", "p_value", "ci_low", "ci_high", "noise_floor",
        "task_deltas", "cost_usd", "tokens", "wall_seconds", "failure_modes", "diff", "started_at", "finished_at",
    ]

    /// Opens (creating if needed) the ledger at `path`.
    public init(path: String) throws(SQLiteDatabase.Failure) {
        self.path = path
        db = try SQLiteDatabase(path: path)
        try db.execute("CREATE TABLE IF NOT EXISTS run_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS experiments (
              id INTEGER PRIMARY KEY, round INTEGER NOT NULL, candidate INTEGER NOT NULL,
              commit_id TEXT, parent_commit TEXT, status TEXT NOT NULL, stage TEXT NOT NULL,
              description TEXT NOT NULL, hypothesis TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
              panel TEXT NOT NULL DEFAULT 'search', trials INTEGER NOT NULL DEFAULT 0,
              avg_score REAL, passed INTEGER, task_scores TEXT, parent_score REAL,
              validation_score REAL, parent_validation_score REAL, test_score REAL,
              statistic REAL, p_value REAL, ci_low REAL, ci_high REAL, noise_floor REAL, task_deltas TEXT,
              cost_usd REAL NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0,
              wall_seconds REAL NOT NULL DEFAULT 0, failure_modes TEXT, diff TEXT NOT NULL DEFAULT '',
              started_at TEXT NOT NULL, finished_at TEXT)
            """)
    }

    /// Sets one run setting.
    public func setInfo(_ key: String, _ value: String) throws(SQLiteDatabase.Failure) {
        try db.execute("INSERT INTO run_info (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       [.text(key), .text(value)])
    }

    /// One run setting, nil when unset.
    public func info(_ key: String) throws(SQLiteDatabase.Failure) -> String? {
        try db.execute("SELECT value FROM run_info WHERE key = ?", [.text(key)]).first?.first?.text
    }

    /// Every run setting.
    public func allInfo() throws(SQLiteDatabase.Failure) -> [String: String] {
        var info: [String: String] = [:]
        for row in try db.execute("SELECT key, value FROM run_info") {
            if let key = row[0].text, let value = row[1].text { info[key] = value }
        }
        return info
    }

    /// The id the next experiment gets (0 for the baseline of an empty ledger).
    public func nextID() throws(SQLiteDatabase.Failure) -> Int {
        let rows = try db.execute("SELECT MAX(id) FROM experiments")
        return (rows.first?.first?.int).map { $0 + 1 } ?? 0
    }

    /// Adds a new experiment; its id must be unused.
    public func insert(_ record: ExperimentRecord) throws(SQLiteDatabase.Failure) {
        let marks = Array(repeating: "?", count: Self.columns.count).joined(separator: ", ")
        try db.execute("INSERT INTO experiments (\(Self.columns.joined(separator: ", "))) VALUES (\(marks))", values(record))
    }

    /// Rewrites an existing experiment's row.
    public func update(_ record: ExperimentRecord) throws(SQLiteDatabase.Failure) {
        let assignments = Self.columns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ")
        var params = Array(values(record).dropFirst())
        params.append(.int(record.id))
        try db.execute("UPDATE experiments SET \(assignments) WHERE id = ?", params)
    }

    /// Removes an experiment (one left `running` by a crash, before it is redone).
    public func delete(id: Int) throws(SQLiteDatabase.Failure) {
        try db.execute("DELETE FROM experiments WHERE id = ?", [.int(id)])
    }

    /// One experiment, nil when absent.
    public func record(id: Int) throws(ExperimentLedger.Failure) -> ExperimentRecord? {
        try select("WHERE id = ?", [.int(id)]).first
    }

    /// Every experiment in id order.
    public func records() throws(ExperimentLedger.Failure) -> [ExperimentRecord] {
        try select("ORDER BY id", [])
    }

    /// Writes `results.tsv`: the seed's seven columns then ours, one row per finished experiment.
    public func writeResultsTSV(to path: String) throws {
        var text = ResultsTable.header + "\n"
        for record in try records() where record.status != .running {
            text += ResultsTable.row(record) + "\n"
        }
        let temporary = path + ".partial"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw Failure(path: path, message: "rename from \(temporary) failed: \(String(cString: strerror(errno)))")
        }
    }

    private func select(_ clause: String, _ params: [SQLiteDatabase.Value]) throws(ExperimentLedger.Failure) -> [ExperimentRecord] {
        let rows: [[SQLiteDatabase.Value]]
        do {
            rows = try db.execute("SELECT \(Self.columns.joined(separator: ", ")) FROM experiments \(clause)", params)
        } catch {
            throw Failure(path: path, message: error.description)
        }
        var records: [ExperimentRecord] = []
        for row in rows {
            records.append(try decode(row))
        }
        return records
    }

    private func values(_ r: ExperimentRecord) -> [SQLiteDatabase.Value] {
        [
            .int(r.id), .int(r.round), .int(r.candidate), text(r.commitID), text(r.parentCommit), .text(r.status.rawValue),
            .text(r.stage.rawValue), .text(r.description), .text(r.hypothesis), .text(r.reason), .text(r.panel),
            .int(r.trials), real(r.avgScore), r.passed.map { .int($0) } ?? .null, json(r.taskScores), real(r.parentScore),
            real(r.validationScore), real(r.parentValidationScore), real(r.testScore), real(r.statistic), real(r.pValue),
            real(r.ciLow), real(r.ciHigh), real(r.noiseFloor), json(r.taskDeltas), .double(r.costUSD), .int(r.tokens),
            .double(r.wallSeconds), json(r.failureModes), .text(r.diff), .text(r.startedAt), text(r.finishedAt),
        ]
    }

    private func decode(_ row: [SQLiteDatabase.Value]) throws(ExperimentLedger.Failure) -> ExperimentRecord {
        let id = row[0].int ?? -1
        func field(_ name: String) -> Failure { Failure(path: path, message: "experiment \(id): bad \(name)") }
        guard let status = row[5].text.flatMap(ExperimentStatus.init(rawValue:)) else { throw field("status '\(row[5].text ?? "NULL")'") }
        guard let stage = row[6].text.flatMap(ExperimentStage.init(rawValue:)) else { throw field("stage '\(row[6].text ?? "NULL")'") }
        guard let taskScores: [String: Double] = decodeJSON(row[14]) else { throw field("task_scores JSON") }
        guard let taskDeltas: [String: Double] = decodeJSON(row[24]) else { throw field("task_deltas JSON") }
        guard let failureModes: [String: Int] = decodeJSON(row[28]) else { throw field("failure_modes JSON") }
        return ExperimentRecord(
            id: id, round: row[1].int ?? 0, candidate: row[2].int ?? 0, commitID: row[3].text, parentCommit: row[4].text,
            status: status, stage: stage, description: row[7].text ?? "", hypothesis: row[8].text ?? "",
            reason: row[9].text ?? "", panel: row[10].text ?? "search", trials: row[11].int ?? 0,
            avgScore: row[12].double, passed: row[13].int, taskScores: taskScores, parentScore: row[15].double,
            validationScore: row[16].double, parentValidationScore: row[17].double, testScore: row[18].double,
            statistic: row[19].double, pValue: row[20].double, ciLow: row[21].double, ciHigh: row[22].double,
            noiseFloor: row[23].double, taskDeltas: taskDeltas, costUSD: row[25].double ?? 0, tokens: row[26].int ?? 0,
            wallSeconds: row[27].double ?? 0, failureModes: failureModes, diff: row[29].text ?? "",
            startedAt: row[30].text ?? "", finishedAt: row[31].text)
    }

    private func text(_ value: String?) -> SQLiteDatabase.Value { value.map { .text($0) } ?? .null }
    private func real(_ value: Double?) -> SQLiteDatabase.Value { value.map { .double($0) } ?? .null }

    private func json<T: Encodable>(_ value: [String: T]) -> SQLiteDatabase.Value {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return .null }
        return .text(String(decoding: data, as: UTF8.self))
    }

    private func decodeJSON<T: Decodable>(_ value: SQLiteDatabase.Value) -> [String: T]? {
        guard let text = value.text else { return [:] }
        return try? JSONDecoder().decode([String: T].self, from: Data(text.utf8))
    }
}
