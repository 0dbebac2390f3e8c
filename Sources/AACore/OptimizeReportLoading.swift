import Foundation

/// Why a directory could not be read as an optimize run.
public struct OptimizeRunError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var problem: String
    public var description: String { "\(path): \(problem)" }
}

extension OptimizeReport {
    /// Reads the run directory's ledger (`ledger.sqlite`), or says which file is wrong and why.
    public static func load(runDirectory: String) throws(OptimizeRunError) -> OptimizeReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OptimizeRunError(path: runDirectory, problem: "not a directory (expected an optimize run directory)")
        }
        let path = URL(fileURLWithPath: runDirectory).appendingPathComponent("ledger.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw OptimizeRunError(path: runDirectory, problem: "not an optimize run: it has no ledger.sqlite")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw OptimizeRunError(path: path, problem: "cannot be opened for reading")
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard header == Data("SQLite format 3\0".utf8) else {
            throw OptimizeRunError(path: path, problem: "not a SQLite database")
        }
        let tables: [String]
        do throws(SQLiteDatabase.Failure) {
            // Checked before ExperimentLedger would create its tables in some other database.
            tables = try SQLiteDatabase(path: path).execute("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.first?.text }
        } catch {
            throw OptimizeRunError(path: path, problem: "unreadable ledger: \(error.message)")
        }
        guard tables.contains("experiments"), tables.contains("run_info") else {
            throw OptimizeRunError(path: path, problem: "not an optimize run's ledger: no experiments and run_info tables"
                                   + " (it has: \(tables.isEmpty ? "none" : tables.sorted().joined(separator: ", ")))")
        }
        let ledger: ExperimentLedger
        let info: [String: String]
        do throws(SQLiteDatabase.Failure) {
            ledger = try ExperimentLedger(path: path)
            info = try ledger.allInfo()
        } catch {
            throw OptimizeRunError(path: path, problem: "unreadable ledger: \(error.message)")
        }
        do throws(ExperimentLedger.Failure) {
            return OptimizeReport(info: info, records: try ledger.records())
        } catch {
            throw OptimizeRunError(path: error.path, problem: error.message)
        }
    }
}
