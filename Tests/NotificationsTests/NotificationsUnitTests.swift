import Foundation
@testable import Gateway
import GatewayProtocol
@testable import Notifications
import XCTest

/// The pure parts: dates, templates, settings, and the analytics' median on a real SQLite file.
final class NotificationsUnitTests: XCTestCase {
    func testTimestampsFormatAndParseISO8601() {
        XCTAssertEqual(Timestamps.iso8601(ms: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamps.iso8601(ms: 1_795_651_200_123), "2026-11-26T00:00:00.123Z")
        XCTAssertEqual(Timestamps.iso8601(ms: 951_782_400_000), "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(Timestamps.iso8601(ms: -1), "1969-12-31T23:59:59.999Z")
        for ms: Int64 in [0, 1, 86_399_999, 951_782_400_000, 1_795_651_200_123, 4_102_444_800_000, -86_400_001] {
            XCTAssertEqual(Timestamps.parseISO8601(Timestamps.iso8601(ms: ms)), ms)
        }
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-26"), 1_795_651_200_000)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-26T09:00+09:00"), 1_795_651_200_000)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-26T09:00:00.5+0900"), 1_795_651_200_500)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-25T19:00:00-05:00"), 1_795_651_200_000)
        for bad in ["", "2026", "2026-13-01", "2026-02-29", "2026-11-26T24:00Z", "2026-11-26T09:00:00", "2026-11-26T09:00:00.Z",
                    "2026-11-26T09:00:00Zjunk", "tomorrow"] {
            XCTAssertNil(Timestamps.parseISO8601(bad), bad)
        }
    }

    func testTemplatesFollowTheLocaleAndNameMissingParameters() throws {
        let templates = try Templates(configured: nil, defaultLocale: "ko")
        XCTAssertEqual(try templates.render("goal_achieved", locale: nil, parameters: ["goalName": "G"]).message,
                       "G 목표를 달성했습니다! 축하드려요!")
        XCTAssertEqual(try templates.render("goal_achieved", locale: "en-US", parameters: ["goalName": "G"]).title, "Goal achieved! 🏆")
        XCTAssertEqual(try templates.render("goal_achieved", locale: "fr", parameters: ["goalName": "G"]).title, "목표 달성! 🏆")
        XCTAssertEqual(try templates.render("workout_reminder", locale: "en", parameters: [:]).title, "Time to work out! 💪")
        XCTAssertThrowsError(try templates.render("workout_completed", locale: "en", parameters: ["exerciseName": "x"])) {
            XCTAssertEqual(($0 as? ModuleError)?.message, "parameters.duration is required by template workout_completed")
        }
        XCTAssertThrowsError(try templates.render("nope", locale: nil, parameters: [:])) {
            XCTAssertTrue(($0 as? ModuleError)?.message.hasPrefix("template: unknown template nope") == true)
        }
        // Braces that are not placeholders stay as written.
        let custom = try Templates(configured: ["x": ["ko": ["title": "{a} {", "message": "{not a key} {}"]]], defaultLocale: "ko")
        XCTAssertEqual(try custom.render("x", locale: nil, parameters: ["a": "A"]), Templates.Text(title: "A {", message: "{not a key} {}"))
    }

    func testSettingsRefuseWhatCannotWork() {
        func refusal(_ section: JSONObject) -> String? {
            do { _ = try NotificationsSettings(section); return nil } catch { return error.message }
        }
        XCTAssertNil(refusal([:]))
        XCTAssertEqual(refusal(["maxPageSize": 0]), "maxPageSize: expected a positive integer")
        XCTAssertEqual(refusal(["pageSize": 101]), "pageSize: must not exceed maxPageSize (100)")
        XCTAssertNil(refusal(["pageSize": 100]))
        XCTAssertEqual(refusal(["fallback": ["default": ["urgent": ["pigeon"]]]]),
                       #"fallback.default.urgent: unknown channel "pigeon" (known: sms)"#)
        XCTAssertEqual(refusal(["fallback": ["default": ["asap": ["sms"]]]]),
                       "fallback.default.asap: unknown priority (known: low, normal, high, urgent)")
        XCTAssertEqual(refusal(["fallback": ["byType": ["party": ["high": []]]]])?.hasPrefix("fallback.byType.party: unknown type"), true)
        XCTAssertEqual(refusal(["templates": ["goal_achieved": ["en": ["title": "t"]]]]),
                       "templates.goal_achieved.en.message: expected a string")
        XCTAssertEqual(refusal(["defaultLocale": "fr"]), "templates.goal_achieved: no text for the default locale fr")
        let settings = try? NotificationsSettings(["fallback": ["byType": ["chat_message": ["urgent": []]]]])
        XCTAssertEqual(settings?.fallbackChain(type: "chat_message", priority: "urgent"), [])
        XCTAssertEqual(settings?.fallbackChain(type: "system", priority: "urgent"), ["sms"])
        XCTAssertEqual(settings?.fallbackChain(type: "system", priority: "normal"), [])
    }

    func testTheMedianTimeToReadIsTheMiddleOfTheReads() async throws {
        let path = NSTemporaryDirectory() + "notifications-\(UUID().uuidString).sqlite"
        let database = try SQLiteDatabase(settings: .init(path: path))
        defer {
            database.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        try await database.applyMigrations(module: "notifications", NotificationsSchema.migrations)
        // type, created, read after (ms) or nil.
        let rows: [(String, Int64, Int64?)] = [("a", 1000, 10), ("a", 1001, 30), ("a", 1002, 20), ("a", 1003, nil),
                                               ("b", 1000, 100), ("b", 1001, 300), ("b", 1002, nil), ("c", 5000, 1)]
        for (id, row) in rows.enumerated() {
            try await database.execute(
                "INSERT INTO notifications_delivery_log (notification_id, type, priority, delivered_realtime, created_at, read_at) VALUES (?, ?, 'normal', ?, ?, ?)",
                [.integer(Int64(id)), .text(row.0), .integer(id % 2 == 0 ? 1 : 0), .integer(row.1), row.2.map { .integer(row.1 + $0) } ?? .null])
        }
        let report = try await NotificationAnalytics(database: database).report(fromMs: 1000, toMs: 5000)
        let types = report["types"]?.arrayValue ?? []
        XCTAssertEqual(types.map { $0["type"] }, ["a", "b"])
        XCTAssertEqual(types[0]["medianTimeToReadMs"], 20)        // 10, 20, 30
        XCTAssertEqual(types[1]["medianTimeToReadMs"], 200)       // 100, 300
        XCTAssertEqual(types[0]["readRate"], 0.75)
        XCTAssertEqual(types[0]["deliveredRealtime"], 2)
        XCTAssertEqual(types[0]["storedForLater"], 2)
        XCTAssertEqual(report["total"]?["created"], 7)
        XCTAssertEqual(report["total"]?["medianTimeToReadMs"], 30)  // 10, 20, 30, 100, 300
    }
}
