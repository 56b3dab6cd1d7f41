@testable import Gateway
import Foundation
import GatewayProtocol
import XCTest

/// The configurable limits of storage at their edges, close semantics, and the options that set them.
final class StorageEdgeTests: XCTestCase {
    var directory: String!

    override func setUp() {
        directory = NSTemporaryDirectory() + "storage-edge-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    func open(maxBatch: Int = 512) throws -> SQLiteDatabase {
        var settings = SQLiteDatabase.Settings(path: directory + "/edge.sqlite3")
        settings.maxBatch = maxBatch
        return try SQLiteDatabase(settings: settings)
    }

    /// Holds the writer inside a transaction until `release` is signalled, so that later writes pile up in its queue.
    func blockWriter(_ db: SQLiteDatabase, release: DispatchSemaphore) -> Task<Void, Error> {
        let started = DispatchSemaphore(value: 0)
        let task = Task {
            try await db.transaction { tx in
                try tx.execute("INSERT INTO w (v) VALUES (-1)", [])
                started.signal()
                release.wait()
            }
        }
        started.wait()
        return task
    }

    struct QueueNeverFilled: Error {}

    func waitUntil(_ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            guard Date() < deadline else { throw QueueNeverFilled() }
            usleep(1_000)
        }
    }

    func testEachCommitHoldsAtMostMaxBatchWrites() async throws {
        let db = try open(maxBatch: 4)
        try await db.execute("CREATE TABLE w (v INTEGER)", [])
        let release = DispatchSemaphore(value: 0)
        let before = db.commitCount
        let blocker = blockWriter(db, release: release)
        let writes = 21
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<writes { group.addTask { try await db.execute("INSERT INTO w (v) VALUES (?)", [.integer(Int64(i))]) } }
            try waitUntil { db.queuedWrites == writes }
            release.signal()
            try await group.waitForAll()
        }
        try await blocker.value
        // The blocker's own commit, then 21 queued writes in batches of exactly 4, 4, 4, 4, 4 and 1.
        XCTAssertEqual(db.commitCount - before, 1 + 6)
        let count = try await db.query("SELECT COUNT(*) AS n FROM w", []).first?["n"]
        XCTAssertEqual(count, .integer(Int64(writes + 1)))
        db.close()
    }

    func testCloseCommitsQueuedWritesThenRefusesNewOnes() async throws {
        var db: SQLiteDatabase? = try open()
        try await db!.execute("CREATE TABLE w (v INTEGER)", [])
        let release = DispatchSemaphore(value: 0)
        let blocker = blockWriter(db!, release: release)
        let writes = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<writes {
                group.addTask { [db] in try await db!.execute("INSERT INTO w (v) VALUES (?)", [.integer(Int64(i))]) }
            }
            try waitUntil { db!.queuedWrites == writes }
            let closed = DispatchSemaphore(value: 0)
            Thread.detachNewThread { [db] in
                db!.close()
                closed.signal()
            }
            usleep(20_000)   // let close() begin while the writes are still queued
            release.signal()
            try await group.waitForAll()   // every queued write succeeded despite the close
            closed.wait()
        }
        try await blocker.value
        do {
            try await db!.execute("INSERT INTO w (v) VALUES (0)", [])
            XCTFail("write after close accepted")
        } catch {
            XCTAssertEqual(error.kind, .closed)
        }
        do {
            _ = try await db!.transaction { _ in 1 }
            XCTFail("transaction after close accepted")
        } catch {
            XCTAssertEqual((error as? StorageError)?.kind, .closed, "\(error)")
        }
        db = nil
        let reopened = try open()
        let count = try await reopened.query("SELECT COUNT(*) AS n FROM w", []).first?["n"]
        XCTAssertEqual(count, .integer(Int64(writes + 1)))
        reopened.close()
    }

    func testStatementCacheKeepsAtMostItsSizeAndStillAnswers() throws {
        let connection = try SQLiteConnection(path: directory + "/cache.sqlite3", readOnly: false, busyTimeoutMs: 100,
                                              synchronous: "normal", statementCacheSize: 2)
        let statements = ["SELECT 1 AS v", "SELECT 2 AS v", "SELECT 3 AS v"]
        for round in 0..<3 {
            for (index, sql) in statements.enumerated() {
                XCTAssertEqual(try connection.query(sql, []).first?["v"], .integer(Int64(index + 1)), "round \(round)")
                XCTAssertLessThanOrEqual(connection.cachedStatementCount, 2)
            }
        }
        XCTAssertEqual(connection.cachedStatementCount, 2)
    }

    func testDuplicateMigrationVersionsAreRefusedNamingModuleAndVersion() async throws {
        let db = try open()
        do {
            try await db.applyMigrations(module: "dup", [Migration(version: 1, ["CREATE TABLE d1 (a TEXT)"]),
                                                         Migration(version: 1, ["CREATE TABLE d2 (a TEXT)"])])
            XCTFail("duplicate versions accepted")
        } catch {
            XCTAssertTrue("\(error)".contains("module dup"), "\(error)")
            XCTAssertTrue("\(error)".contains("1 follows 1"), "\(error)")
        }
        // Refused before anything ran.
        let version = try await db.migrationVersion(module: "dup")
        XCTAssertEqual(version, 0)
        let tables = try await db.query("SELECT name FROM sqlite_master WHERE name = 'd1'", []).count
        XCTAssertEqual(tables, 0)
        db.close()
    }

    func testStorageOptionsComeFromTheEnvironmentAndRefuseValuesPastTheirEdges() throws {
        let env = ["GATEWAY_STORAGE_READERS": "64", "GATEWAY_STORAGE_MAX_BATCH": "1",
                   "GATEWAY_STORAGE_BUSY_TIMEOUT_MS": "0", "GATEWAY_STORAGE_STATEMENT_CACHE_SIZE": "10000"]
        let configuration = try GatewayCommandLine.load(configPath: nil, environment: env, flagOverrides: [:])
        XCTAssertEqual(configuration.storage.readers, 64)
        XCTAssertEqual(configuration.storage.maxBatch, 1)
        XCTAssertEqual(configuration.storage.busyTimeoutMs, 0)
        XCTAssertEqual(configuration.storage.statementCacheSize, 10_000)
        for (name, value) in [("GATEWAY_STORAGE_READERS", "65"), ("GATEWAY_STORAGE_READERS", "0"),
                              ("GATEWAY_STORAGE_MAX_BATCH", "0"), ("GATEWAY_STORAGE_STATEMENT_CACHE_SIZE", "10001")] {
            XCTAssertThrowsError(try GatewayCommandLine.load(configPath: nil, environment: [name: value], flagOverrides: [:]),
                                 "\(name)=\(value) accepted") { error in
                XCTAssertTrue("\(error)".contains(name), "\(error)")
            }
        }
    }
}
