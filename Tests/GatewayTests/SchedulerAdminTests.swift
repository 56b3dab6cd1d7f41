import GatewayTestKit
import Foundation
import GatewayProtocol
import XCTest
@testable import Gateway

/// What the admin routes call: `list()` and `trigger(name)`; and the errors `add` gives module authors.
final class SchedulerAdminTests: XCTestCase {
    func testTriggerRunsNowOnceAndListShowsLastAndNextRun() async throws {
        let database = try await migratedDatabase()
        let now = january1 + 10 * minuteMs
        let clock = ManualSchedulerClock(nowMs: now)
        let probe = JobProbe(), gate = JobGate()
        let scheduler = Scheduler(database: database, clock: clock, node: "node-a")
        try await scheduler.add(JobSpec(name: "weekly", schedule: "0 9 * * mon", timeZone: "Asia/Seoul") { run in
            probe.record(run)
            await gate.wait()
            return JobOutcome(counts: ["sent": 1])
        }, module: "reports")
        await scheduler.start()

        let run = try await scheduler.trigger("reports.weekly")
        XCTAssertEqual(run.scheduledAtMs, now)
        XCTAssertTrue(run.triggeredManually)
        try await schedulerWaitUntil("the triggered run starts") { probe.count == 1 }
        XCTAssertEqual(probe.runs.first?.triggeredManually, true)

        do {
            try await scheduler.trigger("reports.weekly")
            XCTFail("a second trigger during the run must be refused")
        } catch {
            XCTAssertEqual(error, .alreadyRunning(JobKey(module: "reports", name: "weekly")))
            XCTAssertEqual("\(error)", "job reports.weekly is already running; try again when the current run ends")
        }

        // 2026-01-01 is a Thursday; the next Monday 09:00 in Seoul is 2026-01-05T00:00Z.
        let nextMonday = january1 + 4 * 24 * hourMs
        var status = try await scheduler.list()
        XCTAssertEqual(status.map(\.job.description), ["reports.weekly"])
        XCTAssertEqual(status.first?.schedule, "0 9 * * mon")
        XCTAssertEqual(status.first?.timeZone, "Asia/Seoul")
        XCTAssertEqual(status.first?.running, true)
        XCTAssertEqual(status.first?.lastRun?.outcome, "running")
        XCTAssertEqual(status.first?.nextRunMs, nextMonday)

        gate.open()
        await scheduler.waitForRunningJobs()
        status = try await scheduler.list()
        XCTAssertEqual(status.first?.running, false)
        XCTAssertEqual(status.first?.lastRun, JobRunRecord(scheduledAtMs: now, manual: true, startedAtMs: now, endedAtMs: now,
                                                           outcome: "ok", counts: #"{"sent":1}"#, note: nil, error: nil))
        XCTAssertEqual(probe.count, 1)
        await scheduler.stop()
    }

    func testTriggerOfUnknownJobNamesTheForm() async throws {
        let scheduler = Scheduler(database: try await migratedDatabase(), clock: ManualSchedulerClock(nowMs: january1))
        do {
            try await scheduler.trigger("weekly")
            XCTFail("unknown job")
        } catch {
            XCTAssertEqual("\(error)", #"no job named "weekly"; names are <module>.<job>"#)
        }
    }

    func testListBeforeAnyRun() async throws {
        let scheduler = Scheduler(database: try await migratedDatabase(), clock: ManualSchedulerClock(nowMs: january1))
        try await scheduler.add(JobSpec(name: "tidy", schedule: "@daily") { _ in JobOutcome() }, module: "chat")
        let status = try await scheduler.list()
        XCTAssertNil(status.first?.lastRun)
        XCTAssertEqual(status.first?.nextRunMs, january1 + 24 * hourMs)
    }

    func testAddRefusesBadJobsWithMessagesThatSayWhatToFix() async throws {
        let scheduler = Scheduler(database: try await migratedDatabase(), clock: ManualSchedulerClock(nowMs: january1))
        let noop: @Sendable (JobRun) async throws -> JobOutcome = { _ in JobOutcome() }
        try await scheduler.add(JobSpec(name: "weekly", schedule: "@weekly", run: noop), module: "reports")
        let table: [(JobSpec, String)] = [
            (JobSpec(name: "bad", schedule: "0 25 * * *", run: noop),
             #"job reports.bad: invalid cron expression "0 25 * * *": hour field: "25" is out of range 0-23"#),
            (JobSpec(name: "mars", schedule: "@daily", timeZone: "Mars/Olympus_Mons", run: noop),
             #"job reports.mars: unknown time zone "Mars/Olympus_Mons"; use an IANA name such as "Asia/Seoul" or "UTC""#),
            (JobSpec(name: "weekly", schedule: "@daily", run: noop),
             "job reports.weekly is declared twice; job names must be unique within a module"),
        ]
        for (spec, message) in table {
            do {
                try await scheduler.add(spec, module: "reports")
                XCTFail("\(spec.name) should be refused")
            } catch {
                XCTAssertEqual("\(error)", message)
            }
        }
        // The same name in another module is another job.
        try await scheduler.add(JobSpec(name: "weekly", schedule: "@daily", run: noop), module: "chat")
    }
}
