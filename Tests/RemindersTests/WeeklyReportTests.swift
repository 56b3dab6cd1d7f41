import Gateway
import GatewayProtocol
import XCTest

/// The weekly report from real rows of `notifications_workouts`, counted on each user's own calendar.
final class WeeklyReportTests: XCTestCase {
    typealias H = RemindersHarness
    var harness: RemindersHarness!

    override func tearDown() { harness?.stop() }

    func testSundayEveningReportsCountTheLocalWeekAndEncourageThoseWithoutWorkouts() throws {
        // Sunday 2026-11-08 18:00 in Seoul is 09:00 UTC; the week is Monday 2 to Sunday 8 November, Seoul time.
        let sixPM = H.utc(2026, 11, 8, 9)
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 7, 12))
        try harness.putUser("alice", #"{"timeZone":"Asia/Seoul"}"#)
        try harness.putUser("bob", #"{"timeZone":"Asia/Seoul"}"#)
        try harness.putUser("gina", #"{"timeZone":"Asia/Seoul","locale":"en"}"#)     // not seen in the app, but worked out
        try harness.putUser("dave", #"{"timeZone":"Asia/Seoul"}"#)                   // neither
        try harness.putUser("frank", #"{"timeZone":"America/New_York"}"#)
        for user in ["alice", "bob", "frank"] { try harness.visit(user) }
        try harness.workout("alice", atMs: H.utc(2026, 11, 1, 14, 50), minutes: 100, calories: 999)   // Sun 23:50 Seoul: last week
        try harness.workout("alice", atMs: H.utc(2026, 11, 1, 15, 10), minutes: 30, calories: 200)    // Mon 00:10 Seoul
        try harness.workout("alice", atMs: H.utc(2026, 11, 2, 10), minutes: 20, calories: 150)        // Mon 19:00
        try harness.workout("alice", atMs: H.utc(2026, 11, 4, 3), minutes: 40, calories: 300.4)       // Wed 12:00
        try harness.workout("alice", atMs: sixPM + H.hourMs, minutes: 50, calories: 500)              // after the report
        try harness.workout("gina", atMs: H.utc(2026, 11, 5, 3), minutes: 45, calories: 320)
        try harness.workout("frank", atMs: H.utc(2026, 11, 5, 15), minutes: 60, calories: 600)

        let run = try harness.runScheduled("weekly-report", atMs: sixPM)
        XCTAssertEqual(run["outcome"]?.stringValue, "ok")
        XCTAssertEqual(harness.notified("weekly_report"), ["alice", "bob", "gina"])
        XCTAssertEqual(run.count("notified"), 2)
        XCTAssertEqual(run.count("encouraged"), 1)
        let reports = Dictionary(uniqueKeysWithValues: harness.notifications("weekly_report").map { ($0.request.userId, $0.request) })
        XCTAssertEqual(reports["alice"]?.message, "이번 주 2일 운동했어요! 총 3회, 650칼로리 소모, 평균 30분!")
        XCTAssertEqual(reports["alice"]?.data, ["workoutDays": 2, "totalCalories": 650, "totalWorkouts": 3,
                                                "averageWorkoutTime": 30, "weekStart": "2026-11-02", "weekEnd": "2026-11-08"])
        XCTAssertEqual(reports["bob"]?.message, "이번 주는 운동 기록이 없어요. 다음 주에 다시 시작해봐요! 💪")
        XCTAssertFalse(reports["bob"]?.message.contains("0") ?? true)
        XCTAssertEqual(reports["gina"]?.message,
                       "You worked out on 1 days this week: 1 workouts, 320 calories, 45 minutes on average!")

        // Later runs of the same Sunday send nothing again; New York's Sunday 18:00 (23:00 UTC) is Frank's alone.
        XCTAssertEqual(try harness.runScheduled("weekly-report", atMs: sixPM + 15 * H.minuteMs).count("alreadySent"), 3)
        let newYork = try harness.runScheduled("weekly-report", atMs: H.utc(2026, 11, 8, 23))
        XCTAssertEqual(newYork.count("notified"), 1)
        XCTAssertEqual(harness.notified("weekly_report"), ["alice", "bob", "frank", "gina"])
    }

    func testWithoutTheWorkoutsTableNoReportIsSent() throws {
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 7, 12), fakeTables: false)
        try harness.putUser("bob", #"{"timeZone":"Asia/Seoul"}"#)
        try harness.visit("bob")
        XCTAssertEqual(try harness.runScheduled("weekly-report", atMs: H.utc(2026, 11, 8, 9))["outcome"]?.stringValue, "ok")
        XCTAssertEqual(harness.notified("weekly_report"), [])
    }
}
