import GatewayTestKit
import Foundation
import GatewayProtocol
import XCTest
@testable import Gateway

/// Several gateway nodes sharing one database: two connections to one SQLite file.
final class SchedulerNodesTests: XCTestCase {
    private let key = JobKey(module: "reports", name: "digest")

    private func job(_ schedule: String, _ probe: JobProbe, gate: JobGate? = nil) -> JobSpec {
        JobSpec(name: "digest", schedule: schedule) { run in
            probe.record(run)
            await gate?.wait()
            return JobOutcome()
        }
    }

    func testTwoNodesRunEachScheduledTimeOnce() async throws {
        let path = temporaryDatabasePath()
        let databaseA = try await migratedDatabase(path: path), databaseB = try SQLiteDatabase(settings: .init(path: path))
        let clock = ManualSchedulerClock(nowMs: january1)
        let probe = JobProbe()
        let nodeA = Scheduler(database: databaseA, clock: clock, node: "node-a")
        let nodeB = Scheduler(database: databaseB, clock: clock, node: "node-b")
        for node in [nodeA, nodeB] {
            try await node.add(job("*/10 * * * *", probe), module: "reports")
            await node.start()
        }
        for step in Int64(1)...12 {
            clock.advance(toMs: january1 + step * 10 * minuteMs)
            try await waitUntilIdle(clock, [nodeA, nodeB], nextDueMs: january1 + (step + 1) * 10 * minuteMs)
        }
        XCTAssertEqual(probe.runs.map(\.scheduledAtMs), (1...12).map { january1 + $0 * 10 * minuteMs })
        let records = try await JobRunsTable(database: databaseA).runs(key)
        XCTAssertEqual(records.count, 12)
        XCTAssertEqual(Set(records.map(\.outcome)), ["ok"])
        for node in [nodeA, nodeB] { await node.stop() }
    }

    /// A node that died mid-run at 00:00 left its row `running` with a lease until `leaseUntilMs`; node-a starts beside
    /// it with a job due every minute.
    private func nodeBesideADeadOne(leaseUntilMs: Int64) async throws
        -> (SQLiteDatabase, ManualSchedulerClock, JobProbe, Scheduler) {
        let database = try await migratedDatabase()
        let clock = ManualSchedulerClock(nowMs: january1 + 30_000)
        try await database.execute("""
            INSERT INTO scheduler_runs (module, job, scheduled_at_ms, manual, node, started_at_ms, lease_until_ms, outcome)
            VALUES ('reports', 'digest', ?, 0, 'dead-node', ?, ?, 'running')
            """, [.integer(january1), .integer(january1), .integer(leaseUntilMs)])
        let probe = JobProbe()
        let scheduler = Scheduler(database: database, clock: clock, node: "node-a")
        try await scheduler.add(job("* * * * *", probe), module: "reports")
        await scheduler.start()
        return (database, clock, probe, scheduler)
    }

    func testLeaseOfAnotherNodeBlocksUntilItExpires() async throws {
        // The dead node's lease ends 1 ms after 00:01.
        let (database, clock, probe, scheduler) = try await nodeBesideADeadOne(leaseUntilMs: january1 + minuteMs + 1)

        clock.advance(toMs: january1 + minuteMs)
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + 2 * minuteMs)
        XCTAssertEqual(probe.count, 0, "the lease is live until its last millisecond")
        clock.advance(toMs: january1 + 2 * minuteMs)
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + 3 * minuteMs)
        XCTAssertEqual(probe.runs.map(\.scheduledAtMs), [january1 + 2 * minuteMs], "an expired lease frees the job")
        let records = try await JobRunsTable(database: database).runs(key)
        XCTAssertEqual(records.map(\.outcome), ["running", "skipped", "ok"])
        await scheduler.stop()
    }

    func testLeaseAtItsExactEndNoLongerBlocks() async throws {
        let (_, clock, probe, scheduler) = try await nodeBesideADeadOne(leaseUntilMs: january1 + minuteMs)
        clock.advance(toMs: january1 + minuteMs)
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + 2 * minuteMs)
        XCTAssertEqual(probe.runs.map(\.scheduledAtMs), [january1 + minuteMs])
        await scheduler.stop()
    }

    func testRunningNodeRenewsItsLeaseSoOtherNodesSkip() async throws {
        let path = temporaryDatabasePath()
        let databaseA = try await migratedDatabase(path: path), databaseB = try SQLiteDatabase(settings: .init(path: path))
        let clock = ManualSchedulerClock(nowMs: january1)
        let probe = JobProbe(), gate = JobGate()
        let leaseMs = 2 * minuteMs
        let nodeA = Scheduler(database: databaseA, clock: clock, node: "node-a", leaseMs: leaseMs)
        try await nodeA.add(job("*/5 * * * *", probe, gate: gate), module: "reports")
        await nodeA.start()
        clock.advance(toMs: january1 + 5 * minuteMs)
        try await schedulerWaitUntil("node A runs the 00:05 run") { probe.count == 1 }
        // Node B joins while A's run goes on.
        let nodeB = Scheduler(database: databaseB, clock: clock, node: "node-b", leaseMs: leaseMs)
        try await nodeB.add(job("*/5 * * * *", probe, gate: gate), module: "reports")
        await nodeB.start()

        let table = JobRunsTable(database: databaseA)
        for minute in Int64(6)...9 {
            clock.advance(toMs: january1 + minute * minuteMs)
            try await schedulerWaitUntil("the lease is renewed at minute \(minute)") {
                try await table.runs(key).first?.leaseUntil(in: databaseA) == january1 + (minute + 2) * minuteMs
            }
        }
        clock.advance(toMs: january1 + 10 * minuteMs)
        try await schedulerWaitUntil("both nodes handled 00:10") {
            clock.sleepingUntil.filter { $0 == january1 + 15 * minuteMs }.count == 2
        }
        XCTAssertEqual(probe.count, 1, "without renewal the lease would have ended at 00:07 and node B would run 00:10")
        let during = try await table.runs(key)
        XCTAssertEqual(during.map(\.outcome), ["running", "skipped"])
        gate.open()
        for node in [nodeA, nodeB] { await node.stop() }
        let after = try await table.runs(key)
        XCTAssertEqual(after.map(\.outcome), ["ok", "skipped"])
    }
}

private extension JobRunRecord {
    func leaseUntil(in database: any Database) async throws -> Int64? {
        try await database.query("SELECT lease_until_ms FROM scheduler_runs WHERE scheduled_at_ms = ? AND manual = 0",
                                 [.integer(scheduledAtMs)]).first?[0].int64Value
    }
}
