import Gateway
import GatewayProtocol
import XCTest

/// The 09:00 reminder, end to end: users seeded through the backend's route, made active by connecting, the scheduler
/// driven by the test clock, notifications and SMS caught by the fake services.
final class DailyReminderTests: XCTestCase {
    typealias H = RemindersHarness
    var harness: RemindersHarness!

    override func tearDown() { harness?.stop() }

    func testOnlyActiveUsersAtNineLocalGetTheReminderAndOnlyOptedInPhonesGetTheSMS() throws {
        // 2026-11-10 00:00 UTC is 09:00 in Seoul (UTC+9).
        let nine = H.utc(2026, 11, 10)
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 1, 12))
        try harness.putUser("dave", #"{"timeZone":"Asia/Seoul","phone":"010-0000-0004","smsOptIn":true}"#)
        try harness.visit("dave")                      // active 8½ days before the run: too long ago
        harness.advance(toMs: H.utc(2026, 11, 9, 12))
        try harness.putUser("alice", #"{"name":"앨리스","timeZone":"Asia/Seoul","phone":"010-1234-5678","smsOptIn":true}"#)
        try harness.putUser("bob", #"{"smsOptIn":true}"#)                          // no zone: the default, Seoul; no phone
        try harness.putUser("carol", #"{"timeZone":"Asia/Seoul","locale":"en","phone":"010-0000-0003"}"#)  // not opted in
        try harness.putUser("erin", #"{"timeZone":"Asia/Seoul","phone":"010-0000-0005","smsOptIn":true}"#) // never active
        try harness.putUser("frank", #"{"timeZone":"America/New_York","phone":"+12125550100","smsOptIn":true}"#)
        for user in ["alice", "bob", "carol", "frank"] { try harness.visit(user) }

        let before = try harness.runScheduled("daily-reminder", atMs: nine - 15 * H.minuteMs)   // 08:45 in Seoul
        XCTAssertEqual(before.count("notified"), 0)
        XCTAssertEqual(harness.notified("workout_reminder"), [])

        let run = try harness.runScheduled("daily-reminder", atMs: nine)
        XCTAssertEqual(run["outcome"]?.stringValue, "ok")
        XCTAssertEqual(harness.notified("workout_reminder"), ["alice", "bob", "carol"])
        XCTAssertEqual(run.count("notified"), 3)
        XCTAssertEqual(run.count("sms"), 1)
        let byUser = Dictionary(uniqueKeysWithValues: harness.notifications("workout_reminder").map { ($0.request.userId, $0.request) })
        XCTAssertEqual(byUser["alice"]?.title, "운동 시간이에요! 💪")
        XCTAssertEqual(byUser["carol"]?.title, "Time to work out! 💪")
        let texts = FakeServices.sent.withLock { $0.sms }
        XCTAssertEqual(texts.map(\.request), [SMSRequest(to: "010-1234-5678", template: "workout_reminder",
                                                         parameters: ["userName": "앨리스", "workoutType": "맞춤"],
                                                         locale: "ko", purpose: "workout_reminder")])

        // A later run inside the slot, and a run by hand, send nothing again.
        let again = try harness.runScheduled("daily-reminder", atMs: nine + 15 * H.minuteMs)
        XCTAssertEqual(again.count("alreadySent"), 3)
        XCTAssertEqual(again.count("smsAlreadySent"), 1)
        try harness.trigger("daily-reminder")
        XCTAssertEqual(harness.notifications("workout_reminder").count, 3)
        XCTAssertEqual(FakeServices.sent.withLock { $0.sms.count }, 1)
    }

    func testTheSMSModuleAcceptsAndLogsTheReminderText() throws {
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 9, 12), realSMS: true)
        try harness.putUser("alice", #"{"name":"앨리스","timeZone":"Asia/Seoul","phone":"010-1234-5678","smsOptIn":true}"#)
        try harness.visit("alice")
        let run = try harness.runScheduled("daily-reminder", atMs: H.utc(2026, 11, 10))
        XCTAssertEqual(run.count("sms"), 1, "\(run)")
        let logged = try harness.sql("SELECT to_number, template, purpose, status, body FROM sms_messages")
        XCTAssertEqual(logged.count, 1)
        XCTAssertEqual(logged.first?["to_number"].stringValue, "+821012345678")
        XCTAssertEqual(logged.first?["template"].stringValue, "workout_reminder")
        XCTAssertEqual(logged.first?["purpose"].stringValue, "workout_reminder")
        XCTAssertTrue(logged.first?["body"].stringValue?.hasPrefix("안녕하세요 앨리스님!") ?? false, "\(logged)")
        XCTAssertTrue(logged.first?["body"].stringValue?.contains("오늘 맞춤 운동 시간입니다.") ?? false, "\(logged)")
    }

    func testAFailedSendIsRetriedByTheNextRunInTheSlot() throws {
        let nine = H.utc(2026, 11, 10)
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 9, 12))
        try harness.putUser("alice", #"{"timeZone":"Asia/Seoul"}"#)
        try harness.visit("alice")
        FakeServices.failingUsers.withLock { $0 = ["alice"] }
        XCTAssertEqual(try harness.runScheduled("daily-reminder", atMs: nine).count("failed"), 1)
        FakeServices.failingUsers.withLock { $0 = [] }
        XCTAssertEqual(try harness.runScheduled("daily-reminder", atMs: nine + 15 * H.minuteMs).count("notified"), 1)
        XCTAssertEqual(harness.notified("workout_reminder"), ["alice"])
    }

    func testAnSMSRefusedAsNeverDeliverableIsNotAskedForAgain() throws {
        let nine = H.utc(2026, 11, 10)
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 9, 12))
        try harness.putUser("alice", #"{"timeZone":"Asia/Seoul","phone":"12345","smsOptIn":true}"#)
        try harness.visit("alice")
        FakeServices.refusedNumbers.withLock { $0 = ["12345"] }
        XCTAssertEqual(try harness.runScheduled("daily-reminder", atMs: nine).count("smsFailed"), 1)
        XCTAssertEqual(try harness.runScheduled("daily-reminder", atMs: nine + 15 * H.minuteMs).count("smsAlreadySent"), 1)
        XCTAssertEqual(FakeServices.smsAttempts.withLock { $0 }, 1)
        XCTAssertEqual(harness.notified("workout_reminder"), ["alice"])
    }

    func testTheSlotEndsAfterItsWindow() throws {
        // windowMinutes 30: 09:15 still counts, 09:30 no longer does.
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 9, 12),
                                       reminders: ["dailyReminder": .object(["windowMinutes": .int(30)])])
        try harness.putUser("late", #"{"timeZone":"Asia/Seoul"}"#)
        try harness.putUser("later", #"{"timeZone":"Asia/Seoul"}"#)
        try harness.visit("late")
        try harness.visit("later")
        // Runs at 09:15 and 09:30 Seoul time only (the 09:00 one is "missed"), each user seen by one of them.
        FakeServices.failingUsers.withLock { $0 = ["later"] }
        XCTAssertEqual(try harness.runScheduled("daily-reminder", atMs: H.utc(2026, 11, 10, 0, 15)).count("notified"), 1)
        FakeServices.failingUsers.withLock { $0 = [] }
        let closed = try harness.runScheduled("daily-reminder", atMs: H.utc(2026, 11, 10, 0, 30))
        XCTAssertEqual(closed.count("notified"), 0)
        XCTAssertEqual(harness.notified("workout_reminder"), ["late"])
    }

    func testNewYorkGetsItAtNineLocalOnBothSidesOfTheFallBackChange() throws {
        // New York leaves daylight time on 2026-11-01 at 06:00 UTC: 09:00 is 13:00 UTC on 31 October, 14:00 UTC after.
        harness = try RemindersHarness(startMs: H.utc(2026, 10, 31, 11))
        try harness.putUser("nyc", #"{"timeZone":"America/New_York","locale":"en"}"#)
        try harness.visit("nyc")
        var times: [Int64] = []
        for day in [31, 32] {
            let (month, date) = day == 31 ? (10, 31) : (11, 1)
            for quarter in 0..<12 {   // 12:00 … 14:45 UTC
                try harness.runScheduled("daily-reminder", atMs: H.utc(2026, month, date, 12) + Int64(quarter) * 15 * H.minuteMs)
            }
            times = harness.notifications("workout_reminder").map(\.atMs)
        }
        XCTAssertEqual(times, [H.utc(2026, 10, 31, 13), H.utc(2026, 11, 1, 14)])
    }
}
