@testable import Gateway
import Foundation
import GatewayProtocol
import GatewayTestKit
import Notifications
import TestSupport
import XCTest

/// Who may see and change what, pagination bounds, payload validation and expiry, through real HTTP and sockets.
final class NotificationsAccessTests: XCTestCase {
    var gateway: ModuleTestGateway!

    override func setUpWithError() throws {
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self])
    }

    override func tearDown() { gateway?.stop() }

    func testAUserCannotReadOrChangeAnotherUsersNotifications() throws {
        let id = try gateway.createNotification(for: "alice", title: "private")
        let notFound = #"{"error":"Not Found","message":"no such notification","status":404,"code":"not_found"}"#
        for (method, path) in [("PATCH", "/notifications/\(id)/read"), ("DELETE", "/notifications/\(id)"),
                               ("PATCH", "/notifications/999999/read"), ("DELETE", "/notifications/abc")] {
            let response = try gateway.request(method, path, token: userToken("mallory"))
            XCTAssertEqual(response.status, 404, "\(method) \(path)")
            // The same answer for someone else's id and for one that never existed: ids do not leak.
            XCTAssertEqual(response.bodyText, notFound, "\(method) \(path)")
        }
        let (socket, _) = try gateway.joinCounted("mallory")
        XCTAssertEqual(socket.emitWithAck("markNotificationRead", #"{"id":"\#(id)"}"#, id: 1),
                       #"[{"error":"no such notification","code":"not_found"}]"#)
        XCTAssertEqual(socket.emitWithAck("markAllNotificationsRead", id: 2), #"[{"success":true,"updated":0,"unreadCount":0}]"#)
        XCTAssertEqual(try gateway.list("mallory").body["totalCount"], 0)
        // Alice's notification is untouched.
        let alice = try gateway.list("alice").body
        XCTAssertEqual(alice["unreadCount"], 1)
        XCTAssertEqual(alice["notifications"]?[0]?["isRead"], false)
        // No token at all: 401, not a list.
        XCTAssertEqual(try gateway.request("GET", "/notifications").status, 401)
    }

    func testPaginationIsNewestFirstAndBounded() throws {
        for n in 1...5 { try gateway.createNotification(for: "bob", title: "n\(n)") }
        func titles(_ query: String) throws -> [JSONValue] {
            let list = try gateway.list("bob", query: query)
            XCTAssertEqual(list.status, 200, query)
            XCTAssertEqual(list.body["totalCount"], 5, query)
            return list.body["notifications"]?.arrayValue?.map { $0["title"] ?? nil } ?? []
        }
        XCTAssertEqual(try titles(""), ["n5", "n4", "n3", "n2", "n1"])
        XCTAssertEqual(try titles("?page=1&limit=2"), ["n5", "n4"])
        XCTAssertEqual(try titles("?page=3&limit=2"), ["n1"])
        XCTAssertEqual(try titles("?page=4&limit=2"), [])
        XCTAssertEqual(try titles("?limit=100").count, 5)
        XCTAssertEqual(try titles("?page=1000000&limit=100"), [])
        for (query, message) in [("?limit=0", "limit: expected an integer of at least 1"), ("?limit=101", "limit: at most 100"),
                                 ("?page=0", "page: expected an integer of at least 1"), ("?page=x", "page: expected an integer of at least 1"),
                                 ("?page=-1", "page: expected an integer of at least 1"), ("?page=1000001", "page: at most 1000000"),
                                 ("?limit=2.5", "limit: expected an integer of at least 1")] {
            let list = try gateway.list("bob", query: query)
            XCTAssertEqual(list.status, 400, query)
            XCTAssertEqual(list.body["message"]?.stringValue, message, query)
            XCTAssertEqual(list.body["code"], "invalid_payload", query)
        }
    }

    func testTheConfiguredPageSizesAreTheEdges() throws {
        gateway.stop()
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self]) {
            $0.modules["notifications"] = .init(enabled: true, raw: ["pageSize": .int(2), "maxPageSize": .int(3)])
        }
        for n in 1...4 { try gateway.createNotification(for: "carl", title: "n\(n)") }
        XCTAssertEqual(try gateway.list("carl").body["notifications"]?.arrayValue?.count, 2)
        XCTAssertEqual(try gateway.list("carl", query: "?limit=3").body["notifications"]?.arrayValue?.count, 3)
        XCTAssertEqual(try gateway.list("carl", query: "?limit=4").body["message"], "limit: at most 3")
    }

    func testConfiguredSizeLimitsAreTheEdges() async throws {
        gateway.stop()
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self]) {
            $0.modules["notifications"] = .init(enabled: true, raw: ["maxTitleBytes": .int(5), "maxMessageBytes": .int(6),
                                                                    "maxDataBytes": .int(20), "analyticsRetentionDays": .int(1)])
        }
        func create(_ userId: String, _ title: String, _ message: String, data: String) throws -> (Int, String?) {
            let response = try gateway.request("POST", "/internal/notifications", token: serviceToken, body:
                #"{"userId":"\#(userId)","title":"\#(title)","message":"\#(message)","type":"system","data":\#(data)}"#)
            return (response.status, try json(response.bodyText)["message"]?.stringValue)
        }
        let twelve = String(repeating: "d", count: 12)   // {"a":"…"} is 20 bytes with 12 of them
        let maxId = String(repeating: "u", count: 128)
        XCTAssertEqual(try create(maxId, "12345", "123456", data: #"{"a":"\#(twelve)"}"#).0, 201)
        XCTAssertEqual(try create(maxId + "u", "1", "1", data: "{}").1, "userId: at most 128 bytes")
        XCTAssertEqual(try create("u", "123456", "1", data: "{}").1, "title: at most 5 bytes")
        XCTAssertEqual(try create("u", "1", "1234567", data: "{}").1, "message: at most 6 bytes")
        XCTAssertEqual(try create("u", "1", "1", data: #"{"a":"\#(twelve)d"}"#).1, "data: at most 20 bytes of JSON")
        // Korean counts in bytes: 2 syllables are 6 bytes.
        XCTAssertEqual(try create("u", "1", "운동", data: "{}").0, 201)
        XCTAssertEqual(try create("u", "운동", "1", data: "{}").1, "title: at most 5 bytes")

        // The delivery log is kept analyticsRetentionDays (1 day): older rows go with the purge.
        let now = nowMs()
        try await gateway.database.execute("UPDATE notifications_delivery_log SET created_at = ? WHERE notification_id = 1",
                                           [.integer(now - 86_400_000 - 60_000)])
        try await gateway.database.execute("UPDATE notifications_delivery_log SET created_at = ? WHERE notification_id = 2",
                                           [.integer(now - 86_400_000 + 60_000)])
        _ = try await gateway.runJob(module: "notifications", "purge-expired")
        let kept = try await gateway.database.query("SELECT notification_id FROM notifications_delivery_log ORDER BY 1", [])
        XCTAssertEqual(kept.map { $0["notification_id"] }, [.integer(2)])
    }

    func testInvalidPayloadsAreAnswered400NamingTheField() throws {
        let cases: [(String, String)] = [
            (#"{"title":"t","message":"m","type":"system"}"#, "userId is required"),
            (#"{"userId":"","title":"t","message":"m","type":"system"}"#, "userId: must not be empty"),
            (#"{"userId":"u","title":5,"message":"m","type":"system"}"#, "title: expected a string"),
            (#"{"userId":"u","title":"t","type":"system"}"#, "message is required"),
            (#"{"userId":"u","title":"t","message":"m"}"#, "type is required"),
            (#"{"userId":"u","title":"t","message":"m","type":"party"}"#,
             "type: must be one of chat_message, custom, goal_achieved, system, weekly_report, workout_completed, workout_reminder"),
            (#"{"userId":"u","title":"t","message":"m","type":"system","priority":"asap"}"#,
             "priority: must be one of low, normal, high, urgent"),
            (#"{"userId":"u","title":"t","message":"m","type":"system","data":[1]}"#, "data: expected an object"),
            (#"{"userId":"u","title":"t","message":"m","type":"system","expiresAt":"tomorrow"}"#,
             "expiresAt: expected an ISO 8601 date-time such as 2026-11-26T09:00:00Z"),
            (#"{"userId":"u","title":"t","message":"m","type":"system","expiresAt":"2020-01-01T00:00:00Z"}"#,
             "expiresAt: must be in the future"),
            (#"["not an object"]"#, "payload: expected a JSON object"),
            (#"{"userId":"u","title":"\#(String(repeating: "x", count: 201))","message":"m","type":"system"}"#,
             "title: at most 200 bytes"),
            (#"{"userId":"u","title":"t","message":"m","type":"system","data":{"x":"\#(String(repeating: "y", count: 8200))"}}"#,
             "data: at most 8192 bytes of JSON"),
        ]
        for (body, message) in cases {
            let response = try gateway.request("POST", "/internal/notifications", token: serviceToken, body: body)
            XCTAssertEqual(response.status, 400, body)
            XCTAssertEqual(try json(response.bodyText)["message"]?.stringValue, message, body)
        }
        // The limit itself is allowed.
        XCTAssertNoThrow(try gateway.createNotification(for: "u", title: String(repeating: "x", count: 200)))
        let notJSON = try gateway.request("POST", "/internal/notifications", token: serviceToken, body: "{oops")
        XCTAssertEqual(notJSON.status, 400)
        XCTAssertEqual(try json(notJSON.bodyText)["code"], "invalid_json")
        // Only the main backend may create: a user's token is refused before any validation.
        XCTAssertEqual(try gateway.request("POST", "/internal/notifications", token: userToken("u"), body: "{}").status, 403)

        let workoutCases: [(String, String)] = [
            (#"{"userId":"u","duration":30,"calories":200,"at":"2026-11-26T09:00:00Z"}"#, "exerciseName is required"),
            (#"{"userId":"u","exerciseName":"run","duration":"30","calories":200,"at":"2026-11-26T09:00:00Z"}"#, "duration: expected a number"),
            (#"{"userId":"u","exerciseName":"run","duration":30,"calories":-1,"at":"2026-11-26T09:00:00Z"}"#, "calories: must not be negative"),
            (#"{"userId":"u","exerciseName":"run","duration":30,"calories":200}"#, "at is required"),
        ]
        for (body, message) in workoutCases {
            let response = try gateway.request("POST", "/internal/events/workout-completed", token: serviceToken, body: body)
            XCTAssertEqual(response.status, 400, body)
            XCTAssertEqual(try json(response.bodyText)["message"]?.stringValue, message, body)
        }
        let goal = try gateway.request("POST", "/internal/events/goal-achieved", token: serviceToken, body: #"{"userId":"u"}"#)
        XCTAssertEqual(try json(goal.bodyText)["message"], "goalName is required")

        let (socket, _) = try gateway.joinCounted("u")
        XCTAssertEqual(socket.emitWithAck("markNotificationRead", "{}", id: 1), #"[{"error":"id is required","code":"invalid_payload"}]"#)
        XCTAssertEqual(socket.emitWithAck("markNotificationRead", "7", id: 2),
                       #"[{"error":"payload: expected a JSON object","code":"invalid_payload"}]"#)
    }

    func testExpiredNotificationsAreNeverReturnedAndArePurged() async throws {
        let expiresAt = nowMs() + 1200
        let soon = try gateway.createNotification(for: "dora", title: "soon gone", extra: #","expiresAt":\#(expiresAt)"#)
        let later = try gateway.createNotification(for: "dora", title: "stays",
                                                   extra: #","expiresAt":"2099-01-01T00:00:00.000+09:00""#)
        XCTAssertEqual(try gateway.list("dora").body["totalCount"], 2)
        XCTAssertEqual(try gateway.list("dora").body["notifications"]?[0]?["expiresAt"],
                       .string("2098-12-31T15:00:00.000Z"))
        try await Task.sleep(for: .milliseconds(max(0, Int(expiresAt - nowMs())) + 50))

        let list = try gateway.list("dora").body
        XCTAssertEqual(list["notifications"]?.arrayValue?.map { $0["id"]?.stringValue }, [later])
        XCTAssertEqual(list["totalCount"], 1)
        XCTAssertEqual(list["unreadCount"], 1)
        XCTAssertEqual(try gateway.unreadCount("dora"), 1)
        XCTAssertEqual(try gateway.request("PATCH", "/notifications/\(soon)/read", token: userToken("dora")).status, 404)
        let (_, atConnect) = try gateway.joinCounted("dora")
        XCTAssertEqual(atConnect, 1)

        let outcome = try await gateway.runJob(module: "notifications", "purge-expired")
        XCTAssertEqual(outcome.counts, ["purged": 1])
        let ids = try await gateway.database.query("SELECT id FROM notifications ORDER BY id", []).map { $0["id"].int64Value }
        XCTAssertEqual(ids, [Int64(later)])
        let again = try await gateway.runJob(module: "notifications", "purge-expired")
        XCTAssertEqual(again.counts, ["purged": 0])
    }
}
