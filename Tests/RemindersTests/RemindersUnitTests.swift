import GatewayProtocol
@testable import Reminders
import XCTest

/// The pure parts: local calendars across daylight-saving changes, week boundaries, totals, templates and every
/// configuration limit at its edge.
final class LocalCalendarTests: XCTestCase {
    typealias H = RemindersHarness

    func testMomentsAndMidnightsFollowTheZoneAcrossDaylightSavingChanges() throws {
        let newYork = try XCTUnwrap(ZoneCalendar(identifier: "America/New_York"))
        // 09:00 on both sides of the fall-back change (2026-11-01 06:00 UTC).
        XCTAssertEqual(newYork.moment(atMs: H.utc(2026, 10, 31, 13)), LocalMoment(date: LocalDate(year: 2026, month: 10, day: 31), minuteOfDay: 540))
        XCTAssertEqual(newYork.moment(atMs: H.utc(2026, 11, 1, 14)), LocalMoment(date: LocalDate(year: 2026, month: 11, day: 1), minuteOfDay: 540))
        // The spring-forward day is 23 hours long, the fall-back day 25.
        let march8 = LocalDate(year: 2026, month: 3, day: 8), november1 = LocalDate(year: 2026, month: 11, day: 1)
        XCTAssertEqual(newYork.startMs(of: march8.adding(days: 1)) - newYork.startMs(of: march8), 23 * H.hourMs)
        XCTAssertEqual(newYork.startMs(of: november1.adding(days: 1)) - newYork.startMs(of: november1), 25 * H.hourMs)
        XCTAssertEqual(newYork.startMs(of: november1), H.utc(2026, 11, 1, 4))
        // A zone whose clocks jump at midnight: the day starts at the end of the gap (Santiago, 2026-09-06 00:00 → 01:00).
        let santiago = try XCTUnwrap(ZoneCalendar(identifier: "America/Santiago"))
        XCTAssertEqual(santiago.startMs(of: LocalDate(year: 2026, month: 9, day: 6)), H.utc(2026, 9, 6, 4))
        XCTAssertNil(ZoneCalendar(identifier: "Mars/Olympus"))
    }

    func testWeeksRunMondayToSundayAndDatesPrintAsISO() {
        let sunday = LocalDate(year: 2026, month: 11, day: 8)
        XCTAssertEqual(sunday.weekday, 0)
        XCTAssertEqual(sunday.mondayOfWeek.description, "2026-11-02")
        XCTAssertEqual(LocalDate(year: 2026, month: 11, day: 2).mondayOfWeek.description, "2026-11-02")
        XCTAssertEqual(LocalDate(year: 2024, month: 3, day: 1).adding(days: -1).description, "2024-02-29")
        XCTAssertEqual(LocalDate(year: 1969, month: 12, day: 31).daysSinceEpoch, -1)
    }

    func testTotalsCountDaysOnTheUsersCalendar() throws {
        let seoul = try XCTUnwrap(ZoneCalendar(identifier: "Asia/Seoul"))
        // 14:50 and 15:10 UTC are different days in Seoul (23:50 and 00:10).
        let workouts = [Workout(performedAtMs: H.utc(2026, 11, 1, 14, 50), durationMinutes: 30, calories: 100.4),
                        Workout(performedAtMs: H.utc(2026, 11, 1, 15, 10), durationMinutes: 31, calories: 100.4)]
        let totals = WorkoutTotals(workouts, zone: seoul)
        XCTAssertEqual(totals.workoutDays, 2)
        XCTAssertEqual(totals.averageMinutes, 31)                // 30.5 rounds up
        XCTAssertEqual(WorkoutTotals([], zone: seoul).averageMinutes, 0)
        XCTAssertEqual(WorkoutTotals(workouts, zone: try XCTUnwrap(ZoneCalendar(identifier: "UTC"))).workoutDays, 1)
    }
}

final class ReminderTemplatesTests: XCTestCase {
    func testLocalesFallBackAndPlaceholdersFill() throws {
        let templates = try ReminderTemplates(configuration: ConfigurationReader([
            "goal_achieved": ["ja": ["title": "目標達成", "message": "{goalName} {unknown} {"]],
        ]), defaultLocale: "ko")
        XCTAssertEqual(templates.render("goal_achieved", locale: "en-US", ["goalName": "5k"]).message,
                       "You reached your goal: 5k. Congratulations!")
        XCTAssertEqual(templates.render("goal_achieved", locale: "fr", ["goalName": "5k"]).title, "목표 달성! 🏆")
        XCTAssertEqual(templates.render("goal_achieved", locale: nil, ["goalName": "5k"]).title, "목표 달성! 🏆")
        XCTAssertEqual(templates.render("goal_achieved", locale: "ja", ["goalName": "5k"]).message, "5k {unknown} {")
    }

    func testConfiguredTemplatesAreChecked() {
        XCTAssertThrowsError(try ReminderTemplates(configuration: ConfigurationReader(["nope": [:]], path: "templates"), defaultLocale: "ko")) {
            XCTAssertTrue("\($0)".hasPrefix("templates.nope: unknown template"), "\($0)")
        }
        XCTAssertThrowsError(try ReminderTemplates(configuration: ConfigurationReader(["weekly_report": ["en": ["title": "x"]]], path: "templates"),
                                                   defaultLocale: "ko")) {
            XCTAssertEqual("\($0)", #"templates.weekly_report.en: expected {"title": …, "message": …} with non-empty strings"#)
        }
        XCTAssertThrowsError(try ReminderTemplates(configuration: ConfigurationReader([:], path: "templates"), defaultLocale: "ja")) {
            XCTAssertEqual("\($0)", #"templates.workout_reminder: needs a text in the default locale "ja""#)
        }
    }
}

final class RemindersSettingsTests: XCTestCase {
    func settings(_ object: JSONObject) throws -> RemindersSettings { try RemindersSettings(object) }

    func assertRefused(_ object: JSONObject, _ message: String, line: UInt = #line) {
        XCTAssertThrowsError(try settings(object), line: line) { XCTAssertEqual("\($0)", message, line: line) }
    }

    func testDefaults() throws {
        let s = try settings([:])
        XCTAssertEqual(s.defaultZone.identifier, "Asia/Seoul")
        XCTAssertEqual(s.daily.slot, LocalSlot(startMinute: 540, windowMinutes: 60))
        XCTAssertEqual(s.daily.schedule, "*/15 * * * *")
        XCTAssertEqual(s.weekly.weekday, 0)
        XCTAssertEqual(s.weekly.slot, LocalSlot(startMinute: 1080, windowMinutes: 60))
        XCTAssertEqual(s.goalSchedule, "0 * * * *")
        XCTAssertEqual(s.cleanup.schedule, "0 0 * * *")
        XCTAssertEqual(s.cleanup.timeZone, "Asia/Seoul")
        XCTAssertEqual([s.cleanup.readNotificationsDays, s.cleanup.chatArchiveDays, s.cleanup.smsCountersHours, s.cleanup.ledgerDays],
                       [30, 90, 48, 35])
    }

    func testEveryLimitAtItsEdge() throws {
        XCTAssertEqual(try settings(["dailyReminder": ["windowMinutes": 1]]).daily.slot.windowMinutes, 1)
        XCTAssertEqual(try settings(["dailyReminder": ["windowMinutes": 240]]).daily.slot.windowMinutes, 240)
        assertRefused(["dailyReminder": ["windowMinutes": 0]], "dailyReminder.windowMinutes: must be 1…240, got 0")
        assertRefused(["dailyReminder": ["windowMinutes": 241]], "dailyReminder.windowMinutes: must be 1…240, got 241")
        XCTAssertEqual(try settings(["weeklyReport": ["localTime": "23:00", "windowMinutes": 60]]).weekly.slot.startMinute, 1380)
        assertRefused(["weeklyReport": ["localTime": "23:01", "windowMinutes": 60]],
                      "weeklyReport.windowMinutes: 60 minutes after weeklyReport.localTime would run past midnight")
        assertRefused(["dailyReminder": ["localTime": "24:00"]], #"dailyReminder.localTime: expected a time "HH:MM" (00:00…23:59), got "24:00""#)
        assertRefused(["dailyReminder": ["localTime": "9:00"]], #"dailyReminder.localTime: expected a time "HH:MM" (00:00…23:59), got "9:00""#)
        assertRefused(["weeklyReport": ["localDay": "sun"]],
                      #"weeklyReport.localDay: expected a weekday name (sunday, monday, tuesday, wednesday, thursday, friday, saturday), got "sun""#)
        XCTAssertEqual(try settings(["weeklyReport": ["localDay": "Saturday"]]).weekly.weekday, 6)
        XCTAssertEqual(try settings(["activeWithinDays": 365]).activeWithinDays, 365)
        assertRefused(["activeWithinDays": 0], "activeWithinDays: must be 1…365, got 0")
        XCTAssertEqual(try settings(["cleanup": ["ledgerDays": 8]]).cleanup.ledgerDays, 8)
        assertRefused(["cleanup": ["ledgerDays": 7]], "cleanup.ledgerDays: must be 8…3650, got 7")
        assertRefused(["cleanup": ["readNotificationsDays": 0]], "cleanup.readNotificationsDays: must be 1…3650, got 0")
        assertRefused(["cleanup": ["chatArchiveDays": 3651]], "cleanup.chatArchiveDays: must be 1…3650, got 3651")
        assertRefused(["cleanup": ["batchSize": 10_001]], "cleanup.batchSize: must be 1…10000, got 10001")
        assertRefused(["goalCheck": ["maxGoalsPerUser": 101]], "goalCheck.maxGoalsPerUser: must be 1…100, got 101")
        assertRefused(["defaultTimeZone": "Asia/Atlantis"], #"defaultTimeZone: "Asia/Atlantis" is not an IANA time zone (e.g. "Asia/Seoul")"#)
        assertRefused(["cleanup": "nightly"], "cleanup: expected an object")
        assertRefused(["dailyReminder": ["sms": "yes"]], #"dailyReminder.sms: expected true or false, got "yes""#)
    }

    func testChatSourceNamesMustBePlainIdentifiers() throws {
        XCTAssertEqual(try ChatSource.read(ConfigurationReader([:], path: "chatArchive")),
                       ChatSource(table: "chat_messages", idColumn: "id", roomColumn: "room_id", timeColumn: "created_at"))
        XCTAssertThrowsError(try ChatSource.read(ConfigurationReader(["table": "chat; DROP TABLE users"], path: "chatArchive"))) {
            XCTAssertEqual("\($0)", #"chatArchive.table: "chat; DROP TABLE users" is not a lowercase SQL identifier"#)
        }
    }
}
