import GatewayTestKit
import CSQLite
import Foundation
import GatewayProtocol

/// The contract's `Database` on a real SQLite file, for the scheduler's tests until the storage layer lands. Two
/// instances on one file are two nodes sharing a database. Calls block their thread under a lock: fine for tests.
final class SchedulerTestDatabase: Database, @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()

    init(path: String) throws {
        var opened: OpaquePointer?
        guard sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK,
              let opened else { throw StorageError(.io, "cannot open \(path)") }
        handle = opened
        sqlite3_busy_timeout(handle, 5000)
        _ = try run("PRAGMA journal_mode=WAL", [])
    }

    deinit { sqlite3_close(handle) }

    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "scheduler-\(UUID().uuidString).sqlite3"
    }

    func migrate(_ migrations: [Migration]) async throws {
        for migration in migrations {
            for statement in migration.statements { try await execute(statement, []) }
        }
    }

    func query(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> [SQLRow] {
        try locked { () throws(StorageError) in try run(sql, parameters).rows }
    }

    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> SQLExecution {
        try locked { () throws(StorageError) in try run(sql, parameters).execution }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        try lock.withLock {
            _ = try run("BEGIN IMMEDIATE", [])
            do {
                let result = try body(Transaction(database: self))
                _ = try run("COMMIT", [])
                return result
            } catch {
                _ = try? run("ROLLBACK", [])
                throw error
            }
        }
    }

    private func locked<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private struct Transaction: SQLTransaction {
        let database: SchedulerTestDatabase
        func execute(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> SQLExecution {
            try database.run(sql, parameters).execution
        }
        func query(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> [SQLRow] {
            try database.run(sql, parameters).rows
        }
    }

    fileprivate func run(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> (rows: [SQLRow], execution: SQLExecution) {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw failure(.invalidSQL) }
        defer { sqlite3_finalize(statement) }
        for (index, value) in parameters.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .integer(let v): sqlite3_bind_int64(statement, position, v)
            case .real(let v): sqlite3_bind_double(statement, position, v)
            case .text(let v): sqlite3_bind_text(statement, position, v, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            case .blob(let v): sqlite3_bind_blob(statement, position, v, Int32(v.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        }
        let count = sqlite3_column_count(statement)
        let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows: [SQLRow] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw failure(step == SQLITE_CONSTRAINT ? .constraint : .other) }
            rows.append(SQLRow(columns: columns, values: (0..<count).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
                case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, column)))
                default: return .null
                }
            }))
        }
        return (rows, SQLExecution(changes: Int(sqlite3_changes(handle)), lastInsertID: sqlite3_last_insert_rowid(handle)))
    }

    private func failure(_ kind: StorageError.Kind) -> StorageError {
        StorageError(kind, String(cString: sqlite3_errmsg(handle)))
    }
}
