import Gateway
import GatewayProtocol
import GatewayTestKit
import TestSupport
import XCTest

/// The midnight clean-up on real rows of the other modules' tables: exactly what is past its age goes, chat messages
/// move to the archive admins can page through, and absent tables are skipped.
final class CleanupTests: XCTestCase {
    typealias H = RemindersHarness
    var harness: RemindersHarness!

    override func tearDown() { harness?.stop() }

    func testMidnightCleanUpDeletesArchivesAndPurgesExactlyWhatIsPastItsAge() throws {
        // Midnight in Seoul (the default zone) on 10 November is 15:00 UTC on the 9th. Batches of 2 to move 3 messages.
        let midnight = H.utc(2026, 11, 9, 15)
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 9, 12), reminders: ["cleanup": .object(["batchSize": .int(2)])])
        let day = H.dayMs, hour = H.hourMs
        for (id, read, age) in [(1, 1, 31 * day), (2, 1, 30 * day), (3, 1, 29 * day), (4, 0, 40 * day)] {
            try harness.sql("""
                INSERT INTO notifications (id, user_id, type, priority, title, message, is_read, created_at)
                VALUES (?, 'alice', 'system', 'normal', 't', 'm', ?, ?)
                """, [.integer(Int64(id)), .integer(Int64(read)), .integer(midnight - age)])
        }
        for (id, room, age) in [(1, "r1", 91 * day), (2, "r1", 95 * day), (3, "r2", 100 * day), (4, "r1", 90 * day), (5, "r1", day)] {
            try harness.sql("INSERT INTO chat_messages (id, room_id, sender_id, message, message_type, created_at) VALUES (?, ?, 'alice', ?, 'text', ?)",
                            [.integer(Int64(id)), .text(room), .text("message \(id)"), .integer(midnight - age)])
        }
        for (phone, expires) in [("+8210000001", midnight - 1), ("+8210000002", midnight), ("+8210000003", midnight + 60_000)] {
            try harness.sql("INSERT INTO sms_otp_codes (phone, code_hash, attempts, created_at_ms, expires_at_ms) VALUES (?, ?, 0, ?, ?)",
                            [.text(phone), .blob([1, 2]), .integer(expires - 300_000), .integer(expires)])
        }
        for (bucket, age) in [("old", 49 * hour), ("recent", 47 * hour)] {
            try harness.sql("INSERT INTO sms_counters (bucket, window_start_ms, hits) VALUES (?, ?, 1)",
                            [.text(bucket), .integer(midnight - age)])
        }
        for (period, age) in [("old", 36 * day), ("recent", 34 * day)] {
            try harness.sql("INSERT INTO reminders_ledger (kind, user_id, period, channel, created_at) VALUES ('workout_reminder', 'alice', ?, 'in_app', ?)",
                            [.text(period), .integer(midnight - age)])
        }

        let run = try harness.runScheduled("cleanup", atMs: midnight)
        XCTAssertEqual(run["outcome"]?.stringValue, "ok", "\(run)")
        XCTAssertEqual(run["counts"], ["readNotificationsDeleted": 1, "chatMessagesArchived": 3, "otpCodesPurged": 2,
                                       "smsCountersPurged": 1, "ledgerPurged": 1])
        XCTAssertEqual(try ids("SELECT id AS v FROM notifications ORDER BY id"), ["2", "3", "4"])
        XCTAssertEqual(try ids("SELECT id AS v FROM chat_messages ORDER BY id"), ["4", "5"])
        XCTAssertEqual(try ids("SELECT phone AS v FROM sms_otp_codes"), ["+8210000003"])
        XCTAssertEqual(try ids("SELECT bucket AS v FROM sms_counters"), ["recent"])
        XCTAssertEqual(try ids("SELECT period AS v FROM reminders_ledger"), ["recent"])

        // The archive: whole messages, newest first, by room and paged; admins only.
        let r1 = try archive("?roomId=r1")
        XCTAssertEqual(r1.status, 200)
        XCTAssertEqual(r1.bodyText, """
            {"messages":[{"id":1,"room_id":"r1","sender_id":"alice","message":"message 1","message_type":"text","reply_to":null,"metadata":null,"created_at":\(midnight - 91 * day),"is_deleted":0,"deleted_at":null,"deleted_by":null,"archivedAt":\(midnight)},\
            {"id":2,"room_id":"r1","sender_id":"alice","message":"message 2","message_type":"text","reply_to":null,"metadata":null,"created_at":\(midnight - 95 * day),"is_deleted":0,"deleted_at":null,"deleted_by":null,"archivedAt":\(midnight)}],\
            "totalCount":2,"page":1,"limit":50}
            """)
        let second = try JSONValue.parse(try archive("?roomId=r1&page=2&limit=1").bodyText)
        XCTAssertEqual(second["messages"]?[0]?["id"], 2)
        XCTAssertEqual(second["messages"]?.arrayValue?.count, 1)
        XCTAssertEqual(try JSONValue.parse(try archive("").bodyText)["totalCount"], 3)
        XCTAssertEqual(try archive("?limit=200").status, 200)
        XCTAssertEqual(try archive("?limit=201").status, 400)
        XCTAssertEqual(try archive("?page=0").status, 400)
        XCTAssertEqual(try harness.gateway.request("GET", "/admin/chat-archive", token: ModuleTestGateway.token(sub: "alice")).status, 403)

        // A minute later by hand: the rows that were exactly at their age (the read notification of 30 days, the message
        // of 90, the code expiring then) are now past it; nothing is archived twice.
        let again = try harness.trigger("cleanup")
        XCTAssertEqual(again["counts"], ["readNotificationsDeleted": 1, "chatMessagesArchived": 1, "otpCodesPurged": 1,
                                         "smsCountersPurged": 0, "ledgerPurged": 0])
        XCTAssertEqual(try ids("SELECT COUNT(DISTINCT source_id) AS v FROM reminders_chat_archive"), ["4"])
        XCTAssertEqual(try JSONValue.parse(try archive("").bodyText)["totalCount"], 4)
    }

    func testTablesOfModulesThatAreNotEnabledAreSkipped() throws {
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 9, 12), fakeTables: false)
        let run = try harness.trigger("cleanup")
        XCTAssertEqual(run["outcome"]?.stringValue, "ok")
        XCTAssertEqual(run["counts"], ["ledgerPurged": 0])
        let note = try harness.sql("SELECT note FROM scheduler_runs WHERE module = 'reminders' AND job = 'cleanup'").first?["note"]
        XCTAssertEqual(note?.stringValue, "absent, skipped: notifications, chat_messages, sms_otp_codes, sms_counters")
    }

    func archive(_ query: String) throws -> TestHTTPResponse {
        try harness.gateway.request("GET", "/admin/chat-archive\(query)", token: H.adminToken)
    }

    func ids(_ sql: String) throws -> [String] {
        try harness.sql(sql).map {
            switch $0["v"] {
            case .integer(let n): return "\(n)"
            case .text(let t): return t
            default: return "?"
            }
        }
    }
}
