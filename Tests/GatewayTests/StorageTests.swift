@testable import Gateway
import Foundation
import GatewayProtocol
import XCTest

final class StorageTests: XCTestCase {
    var directory: String!

    override func setUp() {
        directory = NSTemporaryDirectory() + "storage-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    func open(maxBatch: Int = 512) throws -> SQLiteDatabase {
        var settings = SQLiteDatabase.Settings(path: directory + "/test.sqlite3")
        settings.maxBatch = maxBatch
        return try SQLiteDatabase(settings: settings)
    }

    func testEveryValueKindRoundTripsWithReturningAndUpsert() async throws {
        let db = try open()
        try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT UNIQUE, b BLOB, n TEXT)", [])
        let inserted = try await db.query("INSERT INTO t (i, r, s, b, n) VALUES (?, ?, ?, ?, ?) RETURNING id",
                                          [.integer(Int64.max), .real(1.5), .text("한글 ✓"), .blob([0, 255, 7]), .null])
        XCTAssertEqual(inserted.first?["id"], .integer(1))
        try await db.execute("INSERT INTO t (i, s) VALUES (?, ?) ON CONFLICT (s) DO UPDATE SET i = excluded.i",
                             [.integer(-3), .text("한글 ✓")])
        let rows = try await db.query("SELECT i, r, s, b, n FROM t", [])
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0]["i"], .integer(-3))
        XCTAssertEqual(rows[0]["r"], .real(1.5))
        XCTAssertEqual(rows[0]["s"], .text("한글 ✓"))
        XCTAssertEqual(rows[0]["b"], .blob([0, 255, 7]))
        XCTAssertEqual(rows[0]["n"], .null)
        XCTAssertEqual(rows[0]["missing"], .null)
        db.close()
    }

    func testConcurrentWritesAreGroupedAndAllDurable() async throws {
        var db: SQLiteDatabase? = try open()
        try await db!.execute("CREATE TABLE w (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)", [])
        let before = db!.commitCount
        let writes = 2000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<writes {
                group.addTask { [db] in try await db!.execute("INSERT INTO w (v) VALUES (?)", [.integer(Int64(i))]) }
            }
            try await group.waitForAll()
        }
        let commits = db!.commitCount - before
        XCTAssertLessThan(commits, writes / 4, "writes were not grouped: \(commits) commits for \(writes) writes")
        db!.close()
        db = nil
        let reopened = try open()
        let observed1 = try await reopened.query("SELECT COUNT(*) AS n FROM w", []).first?["n"]
        XCTAssertEqual(observed1, .integer(Int64(writes)))
        reopened.close()
    }

    func testMaxBatchOfOneCommitsEachWriteAlone() async throws {
        let db = try open(maxBatch: 1)
        try await db.execute("CREATE TABLE w (v INTEGER)", [])
        let before = db.commitCount
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 { group.addTask { try await db.execute("INSERT INTO w (v) VALUES (?)", [.integer(Int64(i))]) } }
            try await group.waitForAll()
        }
        XCTAssertEqual(db.commitCount - before, 50)
        db.close()
    }

    func testAFailingTransactionOnlyRollsBackItself() async throws {
        let db = try open()
        try await db.execute("CREATE TABLE u (k TEXT PRIMARY KEY)", [])
        struct Refused: Error {}
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<100 {
                group.addTask {
                    do {
                        try await db.transaction { tx in
                            try tx.execute("INSERT INTO u (k) VALUES (?)", [.text("k\(i)")])
                            if i % 10 == 0 { throw Refused() }
                        }
                        return true
                    } catch is Refused {
                        return false
                    }
                }
            }
            var succeeded = 0
            for try await ok in group where ok { succeeded += 1 }
            XCTAssertEqual(succeeded, 90)
        }
        let observed2 = try await db.query("SELECT COUNT(*) AS n FROM u", []).first?["n"]
        XCTAssertEqual(observed2, .integer(90))
        let observed3 = try await db.query("SELECT k FROM u WHERE k = ?", [.text("k10")]).count
        XCTAssertEqual(observed3, 0)
        db.close()
    }

    func testConstraintViolationsAreReportedAsSuch() async throws {
        let db = try open()
        try await db.execute("CREATE TABLE u (k TEXT PRIMARY KEY)", [])
        try await db.execute("INSERT INTO u (k) VALUES (?)", [.text("a")])
        do {
            try await db.execute("INSERT INTO u (k) VALUES (?)", [.text("a")])
            XCTFail("duplicate key accepted")
        } catch {
            XCTAssertEqual(error.kind, .constraint, error.message)
        }
        do {
            _ = try await db.query("SELEC nonsense", [])
            XCTFail("bad SQL accepted")
        } catch {
            XCTAssertEqual(error.kind, .invalidSQL)
        }
        do {
            _ = try await db.query("SELECT ?", [])
            XCTFail("missing parameter accepted")
        } catch {
            XCTAssertTrue(error.message.contains("expects 1 parameters, got 0"), error.message)
        }
        db.close()
    }

    func testReadsDoNotWaitForALongWriteTransaction() async throws {
        let db = try open()
        try await db.execute("CREATE TABLE r (v INTEGER)", [])
        try await db.execute("INSERT INTO r (v) VALUES (1)", [])
        let writeStarted = DispatchSemaphore(value: 0)
        let releaseWrite = DispatchSemaphore(value: 0)
        let write = Task {
            try await db.transaction { tx in
                try tx.execute("INSERT INTO r (v) VALUES (2)", [])
                writeStarted.signal()
                releaseWrite.wait()
            }
        }
        writeStarted.wait()
        // The writer is stuck inside its transaction; a read must still answer, and see only committed data.
        let rows = try await db.query("SELECT COUNT(*) AS n FROM r", [])
        XCTAssertEqual(rows.first?["n"], .integer(1))
        releaseWrite.signal()
        try await write.value
        let observed4 = try await db.query("SELECT COUNT(*) AS n FROM r", []).first?["n"]
        XCTAssertEqual(observed4, .integer(2))
        db.close()
    }

    func testWritingQueriesAreSentToTheWriter() async throws {
        let db = try open()
        try await db.execute("CREATE TABLE q (id INTEGER PRIMARY KEY, v TEXT)", [])
        for _ in 0..<2 {
            let rows = try await db.query("INSERT INTO q (v) VALUES (?) RETURNING id", [.text("x")])
            XCTAssertEqual(rows.count, 1)
        }
        let observed5 = try await db.query("SELECT COUNT(*) AS n FROM q", []).first?["n"]
        XCTAssertEqual(observed5, .integer(2))
        db.close()
    }

    func testMigrationsRunOnceInOrderAndAreRecorded() async throws {
        let migrations = [
            Migration(version: 1, ["CREATE TABLE m (a TEXT)"]),
            Migration(version: 2, ["ALTER TABLE m ADD COLUMN b TEXT"]),
        ]
        var db = try open()
        try await db.applyMigrations(module: "mod", migrations)
        let observed6 = try await db.migrationVersion(module: "mod")
        XCTAssertEqual(observed6, 2)
        db.close()
        db = try open()
        try await db.applyMigrations(module: "mod", migrations)   // again: nothing to do, no "duplicate column" error
        try await db.applyMigrations(module: "mod", migrations + [Migration(version: 3, ["CREATE INDEX m_a ON m (a)"])])
        let observed7 = try await db.migrationVersion(module: "mod")
        XCTAssertEqual(observed7, 3)
        db.close()
    }

    func testOutOfOrderMigrationsAreRefusedAndAFailureKeepsTheLastGoodVersion() async throws {
        let db = try open()
        do {
            try await db.applyMigrations(module: "bad", [Migration(version: 2, []), Migration(version: 1, [])])
            XCTFail("out-of-order versions accepted")
        } catch {
            XCTAssertTrue("\(error)".contains("module bad"), "\(error)")
        }
        do {
            try await db.applyMigrations(module: "half", [
                Migration(version: 1, ["CREATE TABLE h (a TEXT)"]),
                Migration(version: 2, ["CREATE TABLE h2 (a TEXT)", "CREATE TABLE h (a TEXT)"]),
            ])
            XCTFail("failing migration accepted")
        } catch {
            XCTAssertTrue("\(error)".contains("module half, migration 2"), "\(error)")
        }
        let observed8 = try await db.migrationVersion(module: "half")
        XCTAssertEqual(observed8, 1)
        // The failed step left nothing behind: its first statement was rolled back with it.
        let observed9 = try await db.query("SELECT name FROM sqlite_master WHERE name = 'h2'", []).count
        XCTAssertEqual(observed9, 0)
        db.close()
    }

    func testCallsAfterCloseFail() async throws {
        let db = try open()
        db.close()
        do {
            _ = try await db.query("SELECT 1", [])
            XCTFail("query after close")
        } catch {
            XCTAssertEqual(error.kind, .closed)
        }
    }
}
