import Gateway
import GatewayProtocol
import GatewayTestKit
import Notifications
import Reminders
import SMS
import TestSupport
import XCTest

/// The shipped modules together, as FitMate runs them: the main backend reports a workout, the user's open app gets the
/// notification and its count, and Sunday evening's report (a scheduled job of another module) counts that workout.
final class FitMateFlowTests: XCTestCase {
    func testAWorkoutReachesTheAppAndTheWeeklyReport() throws {
        // Sunday 2026-11-08, 17:50 in Seoul (08:50 UTC).
        let start: Int64 = 1_794_127_800_000
        let clock = ManualSchedulerClock(nowMs: start)
        let gateway = try ModuleTestGateway(modules: [NotificationsModule.self, SMSModule.self, RemindersModule.self], clock: clock)
        defer { gateway.stop() }
        let service = ModuleTestGateway.token(sub: "backend", role: "service")
        let admin = ModuleTestGateway.token(sub: "ops", role: "admin")

        XCTAssertEqual(try gateway.request("PUT", "/internal/users/mina", token: service,
                                           body: #"{"timeZone":"Asia/Seoul","locale":"en"}"#).status, 200)
        let app = try gateway.join(sub: "mina")
        XCTAssertEqual(app.nextEvent("unreadNotificationCount"), #"["unreadNotificationCount",0]"#)

        let workout = try gateway.request("POST", "/internal/events/workout-completed", token: service, body:
            #"{"userId":"mina","exerciseName":"Running","duration":30,"calories":250,"at":"2026-11-08T07:00:00Z"}"#)
        XCTAssertEqual(workout.status, 201, workout.bodyText)
        let pushed = try XCTUnwrap(app.nextEvent("newNotification"))
        XCTAssertTrue(pushed.contains(#""type":"workout_completed""#), pushed)
        XCTAssertEqual(app.nextEvent("unreadNotificationCount"), #"["unreadNotificationCount",1]"#)

        // 18:00 in Seoul: the weekly report job (Reminders) reads the workout the Notifications module recorded.
        XCTAssertTrue(waitUntil { clock.sleepingUntil.contains(1_794_128_400_000) })
        clock.advance(toMs: 1_794_128_400_000)
        let report = try XCTUnwrap(app.nextEvent("newNotification", timeoutSeconds: 10))
        XCTAssertTrue(report.contains(#""type":"weekly_report""#), report)
        XCTAssertTrue(report.contains(#""totalWorkouts":1"#) && report.contains(#""totalCalories":250"#), report)
        XCTAssertEqual(app.nextEvent("unreadNotificationCount"), #"["unreadNotificationCount",2]"#)

        let jobs = try gateway.request("GET", "/admin/jobs", token: admin)
        XCTAssertTrue(jobs.bodyText.contains(#""job":"reminders.weekly-report""#), jobs.bodyText)
    }
}
