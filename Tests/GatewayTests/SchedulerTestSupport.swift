import GatewayTestKit
import Foundation
import GatewayProtocol
import XCTest
@testable import Gateway

/// 2026-01-01T00:00:00Z, a Thursday.
let january1: Int64 = 1_767_225_600_000
let minuteMs: Int64 = 60_000
let hourMs: Int64 = 3_600_000

/// What the jobs under test saw: every run they were handed.
final class JobProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [JobRun] = []

    var runs: [JobRun] { lock.withLock { seen } }
    var count: Int { lock.withLock { seen.count } }
    func record(_ run: JobRun) { lock.withLock { seen.append(run) } }
}

/// Holds a job inside its run until the test opens it.
final class JobGate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = lock.withLock { () -> Bool in
                if isOpen { return true }
                waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func open() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            isOpen = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in woken { waiter.resume() }
    }
}

struct JobFailure: Error, CustomStringConvertible {
    let description: String
}

extension XCTestCase {
    func migratedDatabase(path: String? = nil) async throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(settings: .init(path: path ?? temporaryDatabasePath()))
        try await database.applyMigrations(module: "scheduler", Scheduler.migrations)
        return database
    }

    /// A fresh SQLite file; two `SQLiteDatabase`s on one file are two nodes sharing a database.
    func temporaryDatabasePath() -> String { NSTemporaryDirectory() + "scheduler-\(UUID().uuidString).sqlite3" }

    /// Polls real time (the clock under test never moves by itself) until `condition` holds.
    func schedulerWaitUntil(_ what: String, timeoutSeconds: Double = 10, file: StaticString = #filePath, line: UInt = #line,
                   _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try await !condition() {
            guard Date() < deadline else {
                XCTFail("timed out waiting until \(what)", file: file, line: line)
                return
            }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
    }

    /// Waits until `count` schedulers have handled everything due and sleep until `nextDueMs`, and their runs have ended.
    func waitUntilIdle(_ clock: ManualSchedulerClock, _ schedulers: [Scheduler], nextDueMs: Int64,
                       file: StaticString = #filePath, line: UInt = #line) async throws {
        try await schedulerWaitUntil("the schedulers sleep until \(nextDueMs)", file: file, line: line) {
            clock.sleepingUntil.filter { $0 == nextDueMs }.count >= schedulers.count
        }
        for scheduler in schedulers { await scheduler.waitForRunningJobs() }
    }
}
