// Storage through the contract (contract 0.3): modules speak SQL; the gateway runs it off the event loops.

/// One SQL value. The set every SQL database has; booleans are stored as `integer` 0/1, times as Unix milliseconds.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
                    ExpressibleByBooleanLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }

    public var int64Value: Int64? { if case .integer(let v) = self { return v } else { return nil } }
    public var intValue: Int? { int64Value.map { Int($0) } }
    public var doubleValue: Double? {
        switch self {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: return nil
        }
    }
    public var stringValue: String? { if case .text(let v) = self { return v } else { return nil } }
    public var blobValue: [UInt8]? { if case .blob(let v) = self { return v } else { return nil } }
    public var boolValue: Bool? { int64Value.map { $0 != 0 } }
    public var isNull: Bool { self == .null }
}

/// One result row: values by column position and by column name (as written in the query, e.g. `AS unread`).
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]
    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }
    public subscript(index: Int) -> SQLValue { values[index] }
    /// `.null` for a column the row does not have, so optional columns read naturally.
    public subscript(column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }
}

/// What a write did: rows changed and, for an insert into a table with an integer key, the new row's id.
public struct SQLExecution: Sendable, Equatable {
    public let changes: Int
    public let lastInsertID: Int64
    public init(changes: Int, lastInsertID: Int64) {
        self.changes = changes
        self.lastInsertID = lastInsertID
    }
}

/// A storage failure. `constraint` lets a module turn a unique-key clash into a client error; anything else is an internal
/// error the gateway logs.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case constraint, busy, invalidSQL, closed, io, other }
    public let kind: Kind
    public let message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}

/// Statements run inside one transaction, synchronously, on the storage thread. A transaction body must not wait on
/// anything else (no `await`): that is what lets the gateway batch many of them into one commit.
public protocol SQLTransaction {
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> SQLExecution
    func query(_ sql: String, _ parameters: [SQLValue]) throws(StorageError) -> [SQLRow]
}

/// A module's access to the database. SQL is written portably (PostgreSQL must run it too): `?` placeholders,
/// `INSERT … ON CONFLICT … DO UPDATE`, `RETURNING`, no SQLite-only functions; integer ids, times as Unix milliseconds.
///
/// Durability: when `execute` or `transaction` returns, the data is committed and survives a crash of the process.
/// Writes from many callers are grouped into one commit by the gateway; a transaction is atomic on its own (a failing
/// transaction never takes another caller's writes down with it).
public protocol Database: Sendable {
    func query(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> [SQLRow]
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> SQLExecution
    /// Runs `body` atomically; a thrown error rolls it back and is rethrown.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T
}

extension Database {
    public func query(_ sql: String, _ parameters: SQLValue...) async throws(StorageError) -> [SQLRow] {
        try await query(sql, parameters)
    }
    @discardableResult
    public func execute(_ sql: String, _ parameters: SQLValue...) async throws(StorageError) -> SQLExecution {
        try await execute(sql, parameters)
    }
}

/// One step of a module's schema. Versions start at 1 and only grow; the gateway records, per module, the highest version
/// applied and runs each later one once, in its own transaction, at start-up before any handler runs.
public struct Migration: Sendable {
    public let version: Int
    public let statements: [String]
    public init(version: Int, _ statements: [String]) {
        self.version = version
        self.statements = statements
    }
}
