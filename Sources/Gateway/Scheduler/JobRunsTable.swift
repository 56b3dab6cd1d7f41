import Foundation
import GatewayProtocol

/// The record of every run, which is also the cross-node lock: the row for (module, job, scheduled time, manual) is
/// inserted with `ON CONFLICT DO NOTHING` before a run starts, so of several nodes sharing the database exactly one
/// inserts it and runs. A row stays `running` with a lease its node renews; a node that dies mid-run stops renewing and
/// the job is free again once the lease expires.
struct JobRunsTable: Sendable {
    let database: any Database

    /// Portable SQL (SQLite and PostgreSQL): times in Unix ms, `counts` as a JSON text.
    static let migrations = [
        Migration(version: 1, [
            """
            CREATE TABLE scheduler_runs (module TEXT NOT NULL, job TEXT NOT NULL, scheduled_at_ms BIGINT NOT NULL,
                manual INTEGER NOT NULL, node TEXT NOT NULL, started_at_ms BIGINT NOT NULL, ended_at_ms BIGINT,
                lease_until_ms BIGINT, outcome TEXT NOT NULL, counts TEXT, note TEXT, error TEXT,
                PRIMARY KEY (module, job, scheduled_at_ms, manual))
            """,
            "CREATE INDEX scheduler_runs_started ON scheduler_runs (module, job, started_at_ms)",
        ]),
    ]

    enum Claim: Equatable {
        case claimed
        /// Another run of the job holds a live lease (on this node or another): this scheduled time is recorded skipped.
        case skipped
        /// Another node already recorded this scheduled time.
        case takenElsewhere
    }

    /// Atomically: skip when a live run of the job exists, else insert the `running` row unless another node has.
    func claim(_ job: JobKey, scheduledAtMs: Int64, manual: Bool, node: String, nowMs: Int64,
               leaseMs: Int64) async throws -> Claim {
        let key: [SQLValue] = [.text(job.module), .text(job.name), .integer(scheduledAtMs), .init(booleanLiteral: manual)]
        return try await database.transaction { tx in
            let live = try tx.query("""
                SELECT scheduled_at_ms FROM scheduler_runs
                WHERE module = ? AND job = ? AND outcome = 'running' AND lease_until_ms > ?
                """, [.text(job.module), .text(job.name), .integer(nowMs)])
            let insert = """
                INSERT INTO scheduler_runs (module, job, scheduled_at_ms, manual, node, started_at_ms, ended_at_ms,
                    lease_until_ms, outcome)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (module, job, scheduled_at_ms, manual) DO NOTHING
                """
            if !live.isEmpty {
                let skipped = try tx.execute(insert, key + [.text(node), .integer(nowMs), .integer(nowMs), .null, "skipped"])
                return skipped.changes == 1 ? .skipped : .takenElsewhere
            }
            let claimed = try tx.execute(insert, key + [.text(node), .integer(nowMs), .null, .integer(nowMs + leaseMs),
                                                       "running"])
            return claimed.changes == 1 ? .claimed : .takenElsewhere
        }
    }

    /// A due time reached while this node still runs the job: recorded as skipped unless another node took it.
    func recordSkipped(_ job: JobKey, scheduledAtMs: Int64, node: String, nowMs: Int64) async throws {
        try await database.execute("""
            INSERT INTO scheduler_runs (module, job, scheduled_at_ms, manual, node, started_at_ms, ended_at_ms, outcome)
            VALUES (?, ?, ?, 0, ?, ?, ?, 'skipped')
            ON CONFLICT (module, job, scheduled_at_ms, manual) DO NOTHING
            """, [.text(job.module), .text(job.name), .integer(scheduledAtMs), .text(node), .integer(nowMs), .integer(nowMs)])
    }

    func renewLease(_ job: JobKey, scheduledAtMs: Int64, manual: Bool, untilMs: Int64) async throws {
        try await database.execute("""
            UPDATE scheduler_runs SET lease_until_ms = ?
            WHERE module = ? AND job = ? AND scheduled_at_ms = ? AND manual = ? AND outcome = 'running'
            """, [.integer(untilMs), .text(job.module), .text(job.name), .integer(scheduledAtMs), .init(booleanLiteral: manual)])
    }

    func finish(_ job: JobKey, scheduledAtMs: Int64, manual: Bool, endedAtMs: Int64, outcome: String,
                counts: [String: Int], note: String?, error: String?) async throws {
        try await database.execute("""
            UPDATE scheduler_runs SET ended_at_ms = ?, lease_until_ms = NULL, outcome = ?, counts = ?, note = ?, error = ?
            WHERE module = ? AND job = ? AND scheduled_at_ms = ? AND manual = ?
            """, [.integer(endedAtMs), .text(outcome), .text(Self.json(counts)), .init(note), .init(error),
                  .text(job.module), .text(job.name), .integer(scheduledAtMs), .init(booleanLiteral: manual)])
    }

    /// The most recent record of the job, manual or not.
    func lastRun(_ job: JobKey) async throws -> JobRunRecord? {
        try await database.query("""
            SELECT scheduled_at_ms, manual, started_at_ms, ended_at_ms, outcome, counts, note, error FROM scheduler_runs
            WHERE module = ? AND job = ? ORDER BY started_at_ms DESC, scheduled_at_ms DESC LIMIT 1
            """, [.text(job.module), .text(job.name)]).first.map(Self.record)
    }

    /// The latest scheduled (not manual) time recorded, whatever its outcome: the base for missed-run detection.
    func lastScheduledTime(_ job: JobKey) async throws -> Int64? {
        try await database.query("""
            SELECT MAX(scheduled_at_ms) AS latest FROM scheduler_runs WHERE module = ? AND job = ? AND manual = 0
            """, [.text(job.module), .text(job.name)]).first?["latest"].int64Value
    }

    func runs(_ job: JobKey) async throws -> [JobRunRecord] {
        try await database.query("""
            SELECT scheduled_at_ms, manual, started_at_ms, ended_at_ms, outcome, counts, note, error FROM scheduler_runs
            WHERE module = ? AND job = ? ORDER BY scheduled_at_ms, manual
            """, [.text(job.module), .text(job.name)]).map(Self.record)
    }

    private static func record(_ row: SQLRow) -> JobRunRecord {
        JobRunRecord(scheduledAtMs: row[0].int64Value ?? 0, manual: row[1].boolValue ?? false,
                    startedAtMs: row[2].int64Value ?? 0, endedAtMs: row[3].int64Value, outcome: row[4].stringValue ?? "",
                    counts: row[5].stringValue, note: row[6].stringValue, error: row[7].stringValue)
    }

    /// Keys sorted, so the same counts always read the same in the table.
    static func json(_ counts: [String: Int]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(counts)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}

/// One row of the run record, as the admin routes show it.
public struct JobRunRecord: Sendable, Equatable {
    public let scheduledAtMs: Int64
    public let manual: Bool
    public let startedAtMs: Int64
    public let endedAtMs: Int64?
    /// `running`, `ok`, `failed` or `skipped`.
    public let outcome: String
    /// The job's counts as a JSON object with sorted keys (`{"notified":12}`).
    public let counts: String?
    public let note: String?
    public let error: String?
}
