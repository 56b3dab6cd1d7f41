import EventLoop
import Foundation
import GatewayProtocol
import Synchronization

/// The embedded database: SQLite in WAL mode, never touched from an event loop. Writes go to one writer thread that groups
/// everything queued into one transaction (one commit, one fsync, for many callers); read-only queries go to reader
/// threads with their own connections, so reads never wait behind a commit. Callers resume after their outcome is final:
/// for a write, after the commit, so an acknowledged write survives `kill -9` (in WAL mode with `synchronous=NORMAL` a
/// committed transaction is in the WAL file; `full` also survives power loss, at one more fsync per commit).
///
/// PostgreSQL would implement the same `Database` protocol with a connection pool: rewrite `?` to `$1…$n`, run each
/// caller's `transaction` body on a pooled connection between `BEGIN`/`COMMIT` (group commit is what PostgreSQL's own
/// `commit_delay` does server-side), and map SQLSTATE classes 23 (constraint), 40/55 (busy) and 42 (invalid SQL) to
/// `StorageError.Kind`.
public final class SQLiteDatabase: MigratingDatabase, @unchecked Sendable {
    public struct Settings: Sendable, Equatable {
        public var path: String
        public var synchronous = "normal"
        public var readers = 2
        public var maxBatch = 512
        public var busyTimeoutMs = 5_000
        public var statementCacheSize = 64
        public init(path: String) { self.path = path }
    }

    public let settings: Settings
    private let writer: StorageWorker
    private let readers: [StorageWorker]
    private let nextReader = Atomic<Int>(0)
    /// Whether a statement only reads, learnt once per SQL text. Bounded because SQL text built at run time would otherwise
    /// grow it for ever; forgetting only costs one more trip through a reader.
    private let readOnly = Mutex<[String: Bool]>([:])
    private static let readOnlyMemory = 4_096

    public init(settings: Settings) throws(StorageError) {
        self.settings = settings
        let writerConnection = try SQLiteConnection(path: settings.path, readOnly: false, busyTimeoutMs: settings.busyTimeoutMs,
                                                    synchronous: settings.synchronous,
                                                    statementCacheSize: settings.statementCacheSize)
        writer = StorageWorker(name: "storage-writer", connection: writerConnection, groupCommit: true,
                               maxBatch: settings.maxBatch)
        var readers: [StorageWorker] = []
        for index in 0..<max(1, settings.readers) {
            let connection = try SQLiteConnection(path: settings.path, readOnly: true, busyTimeoutMs: settings.busyTimeoutMs,
                                                  synchronous: settings.synchronous,
                                                  statementCacheSize: settings.statementCacheSize)
            readers.append(StorageWorker(name: "storage-reader-\(index)", connection: connection, groupCommit: false,
                                         maxBatch: 1))
        }
        self.readers = readers
    }

    deinit { close() }

    /// Finishes queued work, then closes every connection. Later calls fail with `.closed`.
    public func close() {
        writer.close()
        for reader in readers { reader.close() }
    }

    /// Transactions the writer committed so far.
    public var commitCount: Int { writer.committedTransactions }

    /// Writes waiting for the writer thread.
    var queuedWrites: Int { writer.queuedJobs }

    /// For `/readyz`: a trivial read on a reader answers `true`; a failure or a closed database, `false`.
    func check(_ completion: @escaping @Sendable (Bool) -> Void) {
        Task {
            do {
                _ = try await query("SELECT 1", [])
                completion(true)
            } catch {
                completion(false)
            }
        }
    }

    // MARK: Database

    public func query(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> [SQLRow] {
        if readOnly.withLock({ $0[sql] }) == false {
            return try await onWriter { (c: SQLiteConnection) throws(StorageError) in try c.query(sql, parameters) }
        }
        let reader = readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
        let answer: [SQLRow]? = try await run(on: reader) { [self] (connection: SQLiteConnection) throws(StorageError) in
            let isReadOnly = try connection.isReadOnly(sql)
            self.readOnly.withLock {
                if $0.count >= Self.readOnlyMemory { $0.removeAll(keepingCapacity: true) }
                $0[sql] = isReadOnly
            }
            return isReadOnly ? try connection.query(sql, parameters) : nil
        }
        if let answer { return answer }
        return try await onWriter { (c: SQLiteConnection) throws(StorageError) in try c.query(sql, parameters) }
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> SQLExecution {
        try await onWriter { (c: SQLiteConnection) throws(StorageError) in try c.execute(sql, parameters) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        let box = ResultBox<T>()
        return try await withCheckedThrowingContinuation { continuation in
            writer.submit(StorageWorker.Job(
                body: { connection in box.value = try body(SQLiteTransaction(connection: connection)) },
                finish: { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: box.value!) }
                }))
        }
    }

    private func onWriter<T: Sendable>(_ work: @escaping (SQLiteConnection) throws(StorageError) -> T) async throws(StorageError) -> T {
        try await run(on: writer, work)
    }

    private func run<T: Sendable>(on worker: StorageWorker,
                                  _ work: @escaping (SQLiteConnection) throws(StorageError) -> T) async throws(StorageError) -> T {
        let box = ResultBox<T>()
        do {
            return try await withCheckedThrowingContinuation { continuation in
                worker.submit(StorageWorker.Job(
                    body: { connection in box.value = try work(connection) },
                    finish: { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: box.value!) }
                    }))
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.other, "\(error)")
        }
    }

    // MARK: Migrations

    /// Runs each migration newer than the module's recorded version, in order, each in its own transaction with its record.
    func applyMigrations(module: String, _ migrations: [Migration]) async throws {
        var previous = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw StorageError(.invalidSQL, "module \(module): migration versions must start at 1 and increase; "
                                   + "\(migration.version) follows \(previous)")
            }
            previous = migration.version
        }
        let applied = try await migrationVersion(module: module)
        for migration in migrations where migration.version > applied {
            do {
                try await transaction { tx in
                    for statement in migration.statements { try tx.execute(statement, []) }
                    try tx.execute("""
                        INSERT INTO schema_migrations (module, version, applied_ms) VALUES (?, ?, ?)
                        ON CONFLICT (module) DO UPDATE SET version = excluded.version, applied_ms = excluded.applied_ms
                        """, [.text(module), .integer(Int64(migration.version)), .integer(Self.nowMs())])
                }
            } catch {
                throw StorageError((error as? StorageError)?.kind ?? .other,
                                   "module \(module), migration \(migration.version): \(error)")
            }
            Log.info("migration_applied", ["module": module, "version": migration.version])
        }
    }

    /// The version recorded for a module (0: none).
    func migrationVersion(module: String) async throws -> Int {
        try await execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL,
                applied_ms INTEGER NOT NULL)
            """, [])
        return try await query("SELECT version FROM schema_migrations WHERE module = ?", [.text(module)]).first?["version"].intValue ?? 0
    }

    private static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// A result handed from a worker thread to the continuation; written once before `finish`, read once after.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
