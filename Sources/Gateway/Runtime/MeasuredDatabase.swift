import GatewayProtocol

/// The database as modules get it: every call timed (`fitmate_storage_duration_seconds{operation}`, queueing and the
/// commit included, as the caller waits for them) and every failure counted (`fitmate_storage_errors_total{kind}`).
struct MeasuredDatabase: MigratingDatabase {
    let base: any MigratingDatabase
    private let query: HistogramSeries
    private let execute: HistogramSeries
    private let transaction: HistogramSeries
    private let metrics: MetricsRegistry

    init(_ base: any MigratingDatabase, metrics: MetricsRegistry) {
        self.base = base
        self.metrics = metrics
        let help = "Storage calls as their callers wait for them (queueing and commit included)."
        query = metrics.histogram("fitmate_storage_duration_seconds", help: help, labels: ["operation": "query"])
        execute = metrics.histogram("fitmate_storage_duration_seconds", help: help, labels: ["operation": "execute"])
        transaction = metrics.histogram("fitmate_storage_duration_seconds", help: help, labels: ["operation": "transaction"])
    }

    private func failed(_ error: any Error) {
        let kind = (error as? StorageError).map { "\($0.kind)" } ?? "aborted"
        metrics.counter("fitmate_storage_errors_total", help: "Storage calls that failed.", labels: ["kind": kind]).increment()
    }

    func query(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> [SQLRow] {
        let started = ContinuousClock.now
        defer { query.observe((ContinuousClock.now - started).seconds) }
        do { return try await base.query(sql, parameters) } catch {
            failed(error)
            throw error
        }
    }

    func execute(_ sql: String, _ parameters: [SQLValue]) async throws(StorageError) -> SQLExecution {
        let started = ContinuousClock.now
        defer { execute.observe((ContinuousClock.now - started).seconds) }
        do { return try await base.execute(sql, parameters) } catch {
            failed(error)
            throw error
        }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { transaction.observe((ContinuousClock.now - started).seconds) }
        do { return try await base.transaction(body) } catch {
            failed(error)
            throw error
        }
    }

    func applyMigrations(module: String, _ migrations: [Migration]) async throws {
        try await base.applyMigrations(module: module, migrations)
    }
}
