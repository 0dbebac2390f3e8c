import CSQLite3
import Synchronization

/// A SQLite connection in WAL mode with synchronous=FULL, so a committed transaction survives
/// a crash (even SIGKILL) of the process. Serialised: one statement at a time.
public final class SQLiteDatabase: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var call: String
        public var message: String
        public var description: String { "sqlite \(call) on \(path): \(message)" }
    }

    /// A value bound to or read from a statement.
    public enum Value: Sendable, Equatable {
        case null
        case int(Int)
        case double(Double)
        case text(String)

        public var int: Int? { if case .int(let i) = self { return i }; return nil }
        public var double: Double? {
            switch self {
            case .double(let d): return d
            case .int(let i): return Double(i)
            default: return nil
            }
        }
        public var text: String? { if case .text(let t) = self { return t }; return nil }
    }

    public let path: String
    private let handle: Mutex<OpaquePointer?>

    public init(path: String) throws(Failure) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw Failure(path: path, call: "open", message: message)
        }
        sqlite3_busy_timeout(db, 10_000)
        handle = Mutex(db)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        handle.withLock { db in
            sqlite3_close(db)
            db = nil
        }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func execute(_ sql: String, _ params: [Value] = []) throws(Failure) -> [[Value]] {
        try handle.withLock { db throws(Failure) -> [[Value]] in
            guard let db else { throw Failure(path: path, call: "execute", message: "closed") }
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
                throw Failure(path: path, call: "prepare", message: "\(String(cString: sqlite3_errmsg(db))) in: \(sql)")
            }
            defer { sqlite3_finalize(stmt) }
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            for (i, p) in params.enumerated() {
                let index = Int32(i + 1)
                switch p {
                case .null: sqlite3_bind_null(stmt, index)
                case .int(let v): sqlite3_bind_int64(stmt, index, sqlite3_int64(v))
                case .double(let v): sqlite3_bind_double(stmt, index, v)
                case .text(let v): sqlite3_bind_text(stmt, index, v, -1, transient)
                }
            }
            var rows: [[Value]] = []
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else {
                    throw Failure(path: path, call: "step", message: "\(String(cString: sqlite3_errmsg(db))) in: \(sql)")
                }
                var row: [Value] = []
                for c in 0..<sqlite3_column_count(stmt) {
                    switch sqlite3_column_type(stmt, c) {
                    case SQLITE_INTEGER: row.append(.int(Int(sqlite3_column_int64(stmt, c))))
                    case SQLITE_FLOAT: row.append(.double(sqlite3_column_double(stmt, c)))
                    case SQLITE_TEXT: row.append(.text(String(cString: sqlite3_column_text(stmt, c))))
                    default: row.append(.null)
                    }
                }
                rows.append(row)
            }
            return rows
        }
    }
}
