import GatewayTestKit
import Foundation
import GatewayProtocol
import XCTest
@testable import Gateway

final class SchedulerRunTests: XCTestCase {
    private let report = JobKey(module: "reports", name: "weekly")

    func testDueRunHappensOnceAtItsTimeAndIsRecorded() async throws {
        let database = try await migratedDatabase()
        let clock = ManualSchedulerClock(nowMs: january1 + 30_000)
        let probe = JobProbe()
        let scheduler = Scheduler(database: database, clock: clock, node: "node-a")
        try await scheduler.add(JobSpec(name: "weekly", schedule: "0 * * * *") { run in
            probe.record(run)
            return JobOutcome(counts: ["sent": 3, "failed": 0], note: "fine")
        }, module: "reports")
        await scheduler.start()
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + hourMs)

        clock.advance(toMs: january1 + hourMs - 1)
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + hourMs)
        XCTAssertEqual(probe.count, 0, "one millisecond early is too early")

        clock.advance(toMs: january1 + hourMs)
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + 2 * hourMs)
        clock.advance(toMs: january1 + hourMs + 30 * minuteMs)
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + 2 * hourMs)

        XCTAssertEqual(probe.runs.map(\.scheduledAtMs), [january1 + hourMs])
        XCTAssertEqual(probe.runs.map(\.startedAtMs), [january1 + hourMs])
        XCTAssertEqual(probe.runs.map(\.triggeredManually), [false])
        let records = try await JobRunsTable(database: database).runs(report)
        XCTAssertEqual(records, [JobRunRecord(scheduledAtMs: january1 + hourMs, manual: false, startedAtMs: january1 + hourMs,
                                              endedAtMs: january1 + hourMs, outcome: "ok", counts: #"{"failed":0,"sent":3}"#,
                                              note: "fine", error: nil)])
        await scheduler.stop()
    }

    func testDueTimeDuringARunIsSkippedAndRecorded() async throws {
        let database = try await migratedDatabase()
        let clock = ManualSchedulerClock(nowMs: january1 + 30_000)
        let probe = JobProbe(), gate = JobGate()
        let scheduler = Scheduler(database: database, clock: clock, node: "node-a")
        try await scheduler.add(JobSpec(name: "weekly", schedule: "* * * * *") { run in
            probe.record(run)
            if probe.count == 1 { await gate.wait() }
            return JobOutcome()
        }, module: "reports")
        await scheduler.start()
        clock.advance(toMs: january1 + minuteMs)
        try await schedulerWaitUntil("the first run starts") { probe.count == 1 }
        try await schedulerWaitUntil("the scheduler sleeps again") { clock.sleepingUntil.contains(january1 + 2 * minuteMs) }

        clock.advance(toMs: january1 + 2 * minuteMs)
        try await schedulerWaitUntil("the overlap is handled") { clock.sleepingUntil.contains(january1 + 3 * minuteMs) }
        let table = JobRunsTable(database: database)
        var records = try await table.runs(report)
        XCTAssertEqual(records.map(\.outcome), ["running", "skipped"])
        XCTAssertEqual(probe.count, 1, "never two runs at once")

        gate.open()
        await scheduler.waitForRunningJobs()
        clock.advance(toMs: january1 + 3 * minuteMs)
        try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + 4 * minuteMs)
        records = try await table.runs(report)
        XCTAssertEqual(records.map(\.outcome), ["ok", "skipped", "ok"])
        XCTAssertEqual(records.map(\.scheduledAtMs), [1, 2, 3].map { january1 + $0 * minuteMs })
        XCTAssertEqual(probe.count, 2)
        await scheduler.stop()
    }

    func testThrowingJobIsRecordedFailedAndKeepsItsSchedule() async throws {
        let database = try await migratedDatabase()
        let clock = ManualSchedulerClock(nowMs: january1)
        let scheduler = Scheduler(database: database, clock: clock, node: "node-a")
        try await scheduler.add(JobSpec(name: "weekly", schedule: "@hourly") { _ in
            throw JobFailure(description: "SMTP server refused the login")
        }, module: "reports")
        await scheduler.start()
        for hour in Int64(1)...2 {
            clock.advance(toMs: january1 + hour * hourMs)
            try await waitUntilIdle(clock, [scheduler], nextDueMs: january1 + (hour + 1) * hourMs)
        }
        let records = try await JobRunsTable(database: database).runs(report)
        XCTAssertEqual(records.map(\.outcome), ["failed", "failed"])
        XCTAssertEqual(records.map(\.error), ["SMTP server refused the login", "SMTP server refused the login"])
        XCTAssertEqual(records.map(\.counts), [#"{}"#, #"{}"#])
        await scheduler.stop()
    }

    func testStopWaitsForTheRunInProgress() async throws {
        let database = try await migratedDatabase()
        let clock = ManualSchedulerClock(nowMs: january1)
        let probe = JobProbe(), gate = JobGate()
        let scheduler = Scheduler(database: database, clock: clock, node: "node-a")
        try await scheduler.add(JobSpec(name: "weekly", schedule: "* * * * *") { run in
            probe.record(run)
            await gate.wait()
            return JobOutcome()
        }, module: "reports")
        await scheduler.start()
        clock.advance(toMs: january1 + minuteMs)
        try await schedulerWaitUntil("the run starts") { probe.count == 1 }
        let stopped = Task { await scheduler.stop() }
        try await Task.sleep(nanoseconds: 50_000_000)
        var records = try await JobRunsTable(database: database).runs(report)
        XCTAssertEqual(records.map(\.outcome), ["running"])
        gate.open()
        await stopped.value
        records = try await JobRunsTable(database: database).runs(report)
        XCTAssertEqual(records.map(\.outcome), ["ok"], "stop returns after the run is recorded")
        clock.advance(toMs: january1 + 10 * minuteMs)
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(probe.count, 1, "a stopped scheduler runs nothing")
    }
}
