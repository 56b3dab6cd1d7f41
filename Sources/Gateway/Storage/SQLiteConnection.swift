import CSQLite
import GatewayProtocol

/// One SQLite connection, used by one thread only (its worker's): statements prepared once and kept in a bounded cache.
/// `@unchecked Sendable` because it is handed to that thread once, at start.
final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private var statementOrder: [String] = []
    private let statementCacheSize: Int

    init(path: String, readOnly: Bool, busyTimeoutMs: Int, synchronous: String, statementCacheSize: Int) throws(StorageError) {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw StorageError(.io, "cannot open \(path): \(message)")
        }
        self.handle = handle
        self.statementCacheSize = max(1, statementCacheSize)
        sqlite3_busy_timeout(handle, Int32(clamping: busyTimeoutMs))
        sqlite3_extended_result_codes(handle, 1)
        if !readOnly {
            try exec("PRAGMA journal_mode=WAL")
            try exec("PRAGMA synchronous=\(synchronous == "full" ? "FULL" : "NORMAL")")
        }
        try exec("PRAGMA foreign_keys=ON")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    var cachedStatementCount: Int { statements.count }

    func exec(_ sql: String) throws(StorageError) {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw error(sqlite3_errcode(handle), sql: sql) }
    }

    func prepare(_ sql: String) throws(StorageError) -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code, sql: sql) }
        if statements.count >= statementCacheSize, let oldest = statementOrder.first {
            statementOrder.removeFirst()
            if let evicted = statements.removeValue(forKey: oldest) { sqlite3_finalize(evicted) }
        }
        statements[sql] = statement
        statementOrder.append(sql)
        return statement
    }

    func isReadOnly(_ sql: String) throws(StorageError) -> Bool { sqlite3_stmt_readonly(try prepare(sql)) != 0 }

    func query(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> [SQLRow] {
        let statement = try bound(sql, parameters)
        defer { sqlite3_reset(statement) }
        let columnCount = Int(sqlite3_column_count(statement))
        let columns = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, Int32($0))) }
        var rows: [SQLRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code, sql: sql) }
            var values: [SQLValue] = []
            values.reserveCapacity(columnCount)
            for index in 0..<Int32(columnCount) { values.append(Self.column(statement, index)) }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    func execute(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> SQLExecution {
        let statement = try bound(sql, parameters)
        defer { sqlite3_reset(statement) }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else { throw error(code, sql: sql) }
        return SQLExecution(changes: Int(sqlite3_changes(handle)), lastInsertID: sqlite3_last_insert_rowid(handle))
    }

    private func bound(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> OpaquePointer {
        let statement = try prepare(sql)
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == parameters.count else {
            throw StorageError(.invalidSQL, "\(sql): expects \(expected) parameters, got \(parameters.count)")
        }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(statement, index)
            case .integer(let v): code = sqlite3_bind_int64(statement, index, v)
            case .real(let v): code = sqlite3_bind_double(statement, index, v)
            case .text(let v): code = csqlite_bind_text(statement, index, v, Int32(v.utf8.count))
            case .blob(let v): code = v.withUnsafeBytes { csqlite_bind_blob(statement, index, $0.baseAddress, Int32($0.count)) }
            }
            guard code == SQLITE_OK else { throw error(code, sql: sql) }
        }
        return statement
    }

    private static func column(_ statement: OpaquePointer, _ index: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard let pointer = sqlite3_column_text(statement, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }

    func error(_ code: Int32, sql: String) -> StorageError {
        let message = String(cString: sqlite3_errmsg(handle))
        let kind: StorageError.Kind = switch code & 0xFF {
        case SQLITE_CONSTRAINT: .constraint
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_ERROR, SQLITE_RANGE, SQLITE_MISMATCH: .invalidSQL
        case SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_READONLY: .io
        default: .other
        }
        return StorageError(kind, "\(message) (in: \(sql.prefix(200)))")
    }
}

/// A transaction body's view of the writer's connection.
struct SQLiteTransaction: SQLTransaction {
    let connection: SQLiteConnection
    func execute(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> SQLExecution {
        try connection.execute(sql, parameters)
    }
    func query(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> [SQLRow] {
        try connection.query(sql, parameters)
    }
}
