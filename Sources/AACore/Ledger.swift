import Foundation

/// The crash-safe record of jobs and their trial slots (task × attempt). A slot is done only
/// once its result.json is on disk and the row says so; a slot left "running" by a crash is
/// rerun from scratch after its partial folder is removed, so a resumed job completes exactly
/// the missing trials.
public final class Ledger: Sendable {
    public enum Status: String, Sendable {
        case pending, running, done
    }

    /// One planned trial.
    public struct Slot: Sendable, Equatable {
        public var task: String
        public var attempt: Int
        public var status: Status
        public var trialName: String?
        public var retries: Int
        public var reward: Double?
        public var exceptionType: String?
    }

    let db: SQLiteDatabase

    /// Opens (creating if needed) the ledger of a jobs directory.
    public init(path: String) throws(SQLiteDatabase.Failure) {
        db = try SQLiteDatabase(path: path)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS jobs (
                job_name TEXT PRIMARY KEY, job_id TEXT NOT NULL, directory TEXT NOT NULL, config TEXT NOT NULL,
                started_at TEXT NOT NULL, finished_at TEXT)
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS trials (
                job_name TEXT NOT NULL REFERENCES jobs(job_name), task TEXT NOT NULL, attempt INTEGER NOT NULL,
                status TEXT NOT NULL, trial_name TEXT, retries INTEGER NOT NULL DEFAULT 0, reward REAL,
                exception_type TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (job_name, task, attempt))
            """)
    }

    public struct JobRow: Sendable, Equatable {
        public var jobID: String
        public var directory: String
        public var config: String
        public var startedAt: String
        public var finishedAt: String?
    }

    public func job(_ name: String) throws(SQLiteDatabase.Failure) -> JobRow? {
        let rows = try db.execute("SELECT job_id, directory, config, started_at, finished_at FROM jobs WHERE job_name = ?", [.text(name)])
        guard let r = rows.first else { return nil }
        return JobRow(jobID: r[0].text ?? "", directory: r[1].text ?? "", config: r[2].text ?? "",
                      startedAt: r[3].text ?? "", finishedAt: r[4].text)
    }

    /// Records a new job and its slots in one transaction.
    public func createJob(name: String, id: String, directory: String, config: String, slots: [(String, Int)]) throws(SQLiteDatabase.Failure) {
        let now = ISOTime.string(Date())
        try transaction { () throws(SQLiteDatabase.Failure) in
            try db.execute("INSERT INTO jobs (job_name, job_id, directory, config, started_at) VALUES (?, ?, ?, ?, ?)",
                           [.text(name), .text(id), .text(directory), .text(config), .text(now)])
            for (task, attempt) in slots {
                try db.execute("INSERT INTO trials (job_name, task, attempt, status, updated_at) VALUES (?, ?, ?, 'pending', ?)",
                               [.text(name), .text(task), .int(attempt), .text(now)])
            }
        }
    }

    public func slots(job: String) throws(SQLiteDatabase.Failure) -> [Slot] {
        try db.execute("""
            SELECT task, attempt, status, trial_name, retries, reward, exception_type FROM trials
            WHERE job_name = ? ORDER BY task, attempt
            """, [.text(job)]).map { r in
            Slot(task: r[0].text ?? "", attempt: r[1].int ?? 0, status: Status(rawValue: r[2].text ?? "") ?? .pending,
                 trialName: r[3].text, retries: r[4].int ?? 0, reward: r[5].double, exceptionType: r[6].text)
        }
    }

    /// Marks a slot running under a trial name (before its folder is created).
    public func start(job: String, task: String, attempt: Int, trialName: String) throws(SQLiteDatabase.Failure) {
        try db.execute("UPDATE trials SET status = 'running', trial_name = ?, updated_at = ? WHERE job_name = ? AND task = ? AND attempt = ?",
                       [.text(trialName), .text(ISOTime.string(Date())), .text(job), .text(task), .int(attempt)])
    }

    /// Counts a retry of a slot.
    public func retried(job: String, task: String, attempt: Int) throws(SQLiteDatabase.Failure) {
        try db.execute("UPDATE trials SET retries = retries + 1, updated_at = ? WHERE job_name = ? AND task = ? AND attempt = ?",
                       [.text(ISOTime.string(Date())), .text(job), .text(task), .int(attempt)])
    }

    /// Marks a slot done (after its result.json is written).
    public func finish(job: String, task: String, attempt: Int, reward: Double?, exceptionType: String?) throws(SQLiteDatabase.Failure) {
        try db.execute("""
            UPDATE trials SET status = 'done', reward = ?, exception_type = ?, updated_at = ?
            WHERE job_name = ? AND task = ? AND attempt = ?
            """, [reward.map { .double($0) } ?? .null, exceptionType.map { .text($0) } ?? .null, .text(ISOTime.string(Date())),
                  .text(job), .text(task), .int(attempt)])
    }

    /// Marks a slot done with what its result.json says: the reward (none when the verifier gave no
    /// rewards) and the exception type.
    public func finish(job: String, task: String, attempt: Int, record: TrialResultRecord) throws(SQLiteDatabase.Failure) {
        try finish(job: job, task: task, attempt: attempt, reward: record.verifierResult?.rewards == nil ? nil : record.reward,
                   exceptionType: record.exceptionInfo?.exceptionType)
    }

    /// Puts a slot back to pending (a cancelled or crashed trial whose folder was removed).
    public func reset(job: String, task: String, attempt: Int) throws(SQLiteDatabase.Failure) {
        try db.execute("UPDATE trials SET status = 'pending', trial_name = NULL, updated_at = ? WHERE job_name = ? AND task = ? AND attempt = ?",
                       [.text(ISOTime.string(Date())), .text(job), .text(task), .int(attempt)])
    }

    /// Forgets a job (its folder is gone).
    public func deleteJob(_ name: String) throws(SQLiteDatabase.Failure) {
        try transaction { () throws(SQLiteDatabase.Failure) in
            try db.execute("DELETE FROM trials WHERE job_name = ?", [.text(name)])
            try db.execute("DELETE FROM jobs WHERE job_name = ?", [.text(name)])
        }
    }

    public func finishJob(_ name: String) throws(SQLiteDatabase.Failure) {
        try db.execute("UPDATE jobs SET finished_at = ? WHERE job_name = ?", [.text(ISOTime.string(Date())), .text(name)])
    }

    private func transaction(_ body: () throws(SQLiteDatabase.Failure) -> Void) throws(SQLiteDatabase.Failure) {
        try db.execute("BEGIN IMMEDIATE")
        do {
            try body()
            try db.execute("COMMIT")
        } catch {
            _ = try? db.execute("ROLLBACK")
            throw error
        }
    }
}
