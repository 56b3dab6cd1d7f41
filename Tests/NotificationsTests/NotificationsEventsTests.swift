@testable import Gateway
import Foundation
import GatewayProtocol
import GatewayTestKit
import Notifications
import TestSupport
import XCTest

/// The main backend's event routes, templates by locale, the service other modules call, and the analytics.
final class NotificationsEventsTests: XCTestCase {
    var gateway: ModuleTestGateway!

    override func setUpWithError() throws {
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self])
    }

    override func tearDown() { gateway?.stop() }

    func testAWorkoutIsRecordedAndAnnouncedInTheUsersLanguage() async throws {
        try gateway.setUser("jin", #"{"locale":"ko-KR"}"#)
        try gateway.setUser("kate", #"{"locale":"en"}"#)
        let (socket, _) = try gateway.joinCounted("kate")
        for user in ["jin", "kate"] {
            let response = try gateway.request("POST", "/internal/events/workout-completed", token: serviceToken, body:
                #"{"userId":"\#(user)","exerciseName":"Squat","duration":30,"calories":250.5,"at":"2026-11-26T09:00:00+09:00"}"#)
            XCTAssertEqual(response.status, 201, response.bodyText)
        }
        let korean = try gateway.list("jin").body["notifications"]?[0]
        XCTAssertEqual(korean?["title"], "운동 완료! 🎉")
        XCTAssertEqual(korean?["message"], "Squat 운동을 완료했습니다. 총 30분 동안 250.5칼로리를 소모했어요!")
        XCTAssertEqual(korean?["type"], "workout_completed")
        XCTAssertEqual(korean?["data"], ["exerciseName": "Squat", "duration": 30, "calories": 250.5, "at": "2026-11-26T00:00:00.000Z"])
        let pushed = try socket.events(2)
        XCTAssertEqual(pushed[0][1]?["message"], "You finished Squat: 30 minutes, 250.5 calories burned!")

        let rows = try await gateway.database.query(
            """
            SELECT w.user_id, w.exercise_name, w.duration_minutes, w.calories, w.performed_at, n.type
            FROM notifications_workouts w JOIN notifications n ON n.id = w.notification_id ORDER BY w.id
            """, [])
        XCTAssertEqual(rows.map { $0["user_id"] }, ["jin", "kate"])
        XCTAssertEqual(rows[0]["exercise_name"], "Squat")
        XCTAssertEqual(rows[0]["duration_minutes"].doubleValue, 30)
        XCTAssertEqual(rows[0]["calories"].doubleValue, 250.5)
        XCTAssertEqual(rows[0]["performed_at"], .integer(1_795_651_200_000))
        XCTAssertEqual(rows[0]["type"], "workout_completed")
    }

    func testAGoalIsRecordedWithEverythingTheBackendSent() async throws {
        let response = try gateway.request("POST", "/internal/events/goal-achieved", token: serviceToken, body:
            #"{"userId":"lee","goalName":"주 3회 운동","target":3,"period":"week","at":1764115200000}"#)
        XCTAssertEqual(response.status, 201, response.bodyText)
        let notification = try json(response.bodyText)["notification"]
        XCTAssertEqual(notification?["title"], "목표 달성! 🏆")
        XCTAssertEqual(notification?["message"], "주 3회 운동 목표를 달성했습니다! 축하드려요!")
        XCTAssertEqual(notification?["data"], ["goalName": "주 3회 운동", "target": 3, "period": "week", "at": 1_764_115_200_000])
        let rows = try await gateway.database.query("SELECT user_id, goal_name, data, achieved_at FROM notifications_goals", [])
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0]["goal_name"], "주 3회 운동")
        XCTAssertEqual(rows[0]["achieved_at"], .integer(1_764_115_200_000))
        XCTAssertEqual(try json(rows[0]["data"].stringValue ?? ""), notification?["data"])
    }

    func testOtherModulesNotifyThroughTheService() async throws {
        let service = try XCTUnwrap(gateway.gateway.modules?.runtime.service(WellKnownServices.notifications))
        try gateway.setUser("mina", #"{"locale":"en-GB"}"#)
        let (socket, _) = try gateway.joinCounted("mina")
        let receipt = try await service.notify(userId: "mina", template: "weekly_report",
                                               parameters: ["workoutDays": "4", "totalCalories": "1800"], type: "weekly_report",
                                               priority: nil)
        XCTAssertTrue(receipt.deliveredRealtime)
        let events = try socket.events(2)
        XCTAssertEqual(events[0][1]?["message"], "You worked out on 4 days this week and burned 1800 calories!")
        XCTAssertEqual(events[0][1]?["id"]?.stringValue, receipt.id)
        XCTAssertEqual(events[1], ["unreadNotificationCount", 1])

        do {
            _ = try await service.notify(userId: "mina", template: "weekly_report", parameters: ["workoutDays": "4"],
                                         type: "weekly_report", priority: nil)
            XCTFail("a missing template parameter must be refused")
        } catch let error as ModuleError {
            XCTAssertEqual(error.message, "parameters.totalCalories is required by template weekly_report")
            XCTAssertEqual(error.status, 400)
        }
        do {
            _ = try await service.notify(NotificationRequest(userId: "mina", title: "t", message: "m", type: "nope"))
            XCTFail("an unknown type must be refused")
        } catch let error as ModuleError {
            XCTAssertTrue(error.message.hasPrefix("type: must be one of"), error.message)
        }
    }

    func testConfiguredTemplatesReplaceTheDefaults() throws {
        gateway.stop()
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self]) {
            $0.modules["notifications"] = .init(enabled: true, raw: ["templates": .object([
                "goal_achieved": .object(["en": .object(["title": .string("Nice!"), "message": .string("{goalName} done")])]),
            ])])
        }
        try gateway.setUser("nora", #"{"locale":"en"}"#)
        let response = try gateway.request("POST", "/internal/events/goal-achieved", token: serviceToken,
                                           body: #"{"userId":"nora","goalName":"10k steps"}"#)
        XCTAssertEqual(try json(response.bodyText)["notification"]?["message"], "10k steps done")
    }

    func testAnalyticsSplitRealtimeFromStoredAndMeasureReads() throws {
        let (socket, _) = try gateway.joinCounted("olga")
        let first = try gateway.createNotification(for: "olga")
        try gateway.createNotification(for: "olga")
        try gateway.createNotification(for: "pete", type: "custom")
        XCTAssertEqual(try socket.events(4).count, 4)
        XCTAssertEqual(try gateway.request("PATCH", "/notifications/\(first)/read", token: userToken("olga")).status, 200)

        XCTAssertEqual(try gateway.request("GET", "/notifications/analytics", token: userToken("olga")).status, 403)
        let response = try gateway.request("GET", "/notifications/analytics", token: adminToken)
        XCTAssertEqual(response.status, 200, response.bodyText)
        let report = try json(response.bodyText)
        let types = try XCTUnwrap(report["types"]?.arrayValue)
        XCTAssertEqual(types.map { $0["type"] }, ["custom", "system"])
        XCTAssertEqual(types[0]["created"], 1)
        XCTAssertEqual(types[0]["deliveredRealtime"], 0)
        XCTAssertEqual(types[0]["storedForLater"], 1)
        XCTAssertEqual(types[0]["readRate"], 0.0)
        XCTAssertEqual(types[0]["medianTimeToReadMs"], .null)
        XCTAssertEqual(types[1]["created"], 2)
        XCTAssertEqual(types[1]["deliveredRealtime"], 2)
        XCTAssertEqual(types[1]["read"], 1)
        XCTAssertEqual(types[1]["readRate"], 0.5)
        XCTAssertNotNil(types[1]["medianTimeToReadMs"]?.intValue)
        XCTAssertEqual(report["total"]?["created"], 3)

        // A range before any of it is empty; a reversed range is refused.
        let empty = try json(gateway.request("GET", "/notifications/analytics?from=2020-01-01&to=2020-02-01", token: adminToken).bodyText)
        XCTAssertEqual(empty["types"], [])
        XCTAssertEqual(empty["total"]?["readRate"], .null)
        let reversed = try gateway.request("GET", "/notifications/analytics?from=2020-02-01&to=2020-01-01", token: adminToken)
        XCTAssertEqual(reversed.status, 400)
        XCTAssertEqual(try json(reversed.bodyText)["message"], "from: must be before to")
        XCTAssertEqual(try json(gateway.request("GET", "/notifications/analytics?from=soon", token: adminToken).bodyText)["message"],
                       "from: expected an ISO 8601 date or date-time, or Unix milliseconds")

        let metrics = try gateway.metricsText()
        XCTAssertTrue(metrics.contains(#"fitmate_notifications_created_total{delivery="realtime",type="system"} 2"#), metrics)
        XCTAssertTrue(metrics.contains(#"fitmate_notifications_created_total{delivery="stored",type="custom"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"fitmate_notifications_read_total{type="system"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"fitmate_notifications_time_to_read_seconds_count{type="system"} 1"#), metrics)
    }
}
