import GatewayTestKit
import Foundation
import GatewayProtocol
import XCTest
@testable import Gateway

final class SchedulerCatchUpTests: XCTestCase {
    private func job(_ name: String, catchUp: Bool, _ probe: JobProbe) -> JobSpec {
        JobSpec(name: name, schedule: "0 * * * *", runMissedOnStart: catchUp) { run in
            probe.record(run)
            return JobOutcome()
        }
    }

    func testMissedRunsRunOnceAtStartForJobsThatAsk() async throws {
        let database = try await migratedDatabase()
        let clock = ManualSchedulerClock(nowMs: january1 + 30 * minuteMs)
        let eager = JobProbe(), quiet = JobProbe(), fresh = JobProbe()

        let before = Scheduler(database: database, clock: clock, node: "node-a")
        try await before.add(job("eager", catchUp: true, eager), module: "reports")
        try await before.add(job("quiet", catchUp: false, quiet), module: "reports")
        await before.start()
        clock.advance(toMs: january1 + hourMs)
        try await waitUntilIdle(clock, [before], nextDueMs: january1 + 2 * hourMs)
        await before.stop()

        // Down from 01:00 to 05:30: 02:00, 03:00, 04:00 and 05:00 were missed.
        clock.advance(toMs: january1 + 5 * hourMs + 30 * minuteMs)
        let after = Scheduler(database: database, clock: clock, node: "node-a")
        try await after.add(job("eager", catchUp: true, eager), module: "reports")
        try await after.add(job("quiet", catchUp: false, quiet), module: "reports")
        try await after.add(job("fresh", catchUp: true, fresh), module: "reports")
        await after.start()
        await after.waitForRunningJobs()

        XCTAssertEqual(eager.runs.map(\.scheduledAtMs), [january1 + hourMs, january1 + 5 * hourMs],
                       "one catch-up, dated at the latest missed time")
        XCTAssertEqual(eager.runs.last?.startedAtMs, january1 + 5 * hourMs + 30 * minuteMs)
        XCTAssertEqual(quiet.count, 1, "runMissedOnStart false: nothing at start")
        XCTAssertEqual(fresh.count, 0, "a job never recorded has missed nothing")
        await after.stop()

        // A second restart before the next due time finds the catch-up recorded and runs nothing.
        clock.advance(toMs: january1 + 5 * hourMs + 40 * minuteMs)
        let again = Scheduler(database: database, clock: clock, node: "node-a")
        try await again.add(job("eager", catchUp: true, eager), module: "reports")
        await again.start()
        await again.waitForRunningJobs()
        XCTAssertEqual(eager.count, 2)
        let records = try await JobRunsTable(database: database).runs(JobKey(module: "reports", name: "eager"))
        XCTAssertEqual(records.map(\.scheduledAtMs), [january1 + hourMs, january1 + 5 * hourMs])
        XCTAssertEqual(records.map(\.outcome), ["ok", "ok"])
        await again.stop()
    }

    func testRestartBeforeTheNextDueTimeRunsNothing() async throws {
        let database = try await migratedDatabase()
        let clock = ManualSchedulerClock(nowMs: january1 + 30 * minuteMs)
        let probe = JobProbe()
        let first = Scheduler(database: database, clock: clock, node: "node-a")
        try await first.add(job("eager", catchUp: true, probe), module: "reports")
        await first.start()
        clock.advance(toMs: january1 + hourMs)
        try await waitUntilIdle(clock, [first], nextDueMs: january1 + 2 * hourMs)
        await first.stop()

        // Back one millisecond before 02:00: nothing was missed yet.
        clock.advance(toMs: january1 + 2 * hourMs - 1)
        let second = Scheduler(database: database, clock: clock, node: "node-a")
        try await second.add(job("eager", catchUp: true, probe), module: "reports")
        await second.start()
        await second.waitForRunningJobs()
        XCTAssertEqual(probe.count, 1)
        clock.advance(toMs: january1 + 2 * hourMs)
        try await waitUntilIdle(clock, [second], nextDueMs: january1 + 3 * hourMs)
        XCTAssertEqual(probe.runs.map(\.scheduledAtMs), [january1 + hourMs, january1 + 2 * hourMs])
        await second.stop()
    }
}
