@testable import Gateway
import Foundation
import GatewayProtocol
import GatewayTestKit
import Notifications
import TestSupport
import Synchronization
import XCTest

/// Realtime delivery through real sockets: every tab of a user, the count after each change, the count at connect, and
/// the SMS fallback for users with no socket.
final class NotificationsDeliveryTests: XCTestCase {
    var gateway: ModuleTestGateway!

    override func setUpWithError() throws {
        FakeSMSModule.sent.withLock { $0.removeAll() }
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self, FakeSMSModule.self])
    }

    override func tearDown() { gateway?.stop() }

    func testANotificationReachesEveryTabFollowedByTheNewCount() throws {
        let (tab1, count1) = try gateway.joinCounted("alice")
        let (tab2, count2) = try gateway.joinCounted("alice")
        XCTAssertEqual([count1, count2], [0, 0])
        // The count at connect goes to the connecting tab only (a connect changes nothing for the other tabs).

        let response = try gateway.request("POST", "/internal/notifications", token: serviceToken, body:
            #"{"userId":"alice","title":"Hi","message":"Two tabs","type":"system","data":{"k":1},"priority":"high"}"#)
        XCTAssertEqual(response.status, 201, response.bodyText)
        let created = try json(response.bodyText)
        XCTAssertEqual(created["deliveredRealtime"], true)
        let id = try XCTUnwrap(created["id"]?.stringValue)

        for tab in [tab1, tab2] {
            let events = try tab.events(2)
            XCTAssertEqual(events[0][0], "newNotification")
            let notification = try XCTUnwrap(events[0][1])
            XCTAssertEqual(notification["id"]?.stringValue, id)
            XCTAssertEqual(notification["_id"]?.stringValue, id)
            XCTAssertEqual(notification["userId"], "alice")
            XCTAssertEqual(notification["title"], "Hi")
            XCTAssertEqual(notification["message"], "Two tabs")
            XCTAssertEqual(notification["type"], "system")
            XCTAssertEqual(notification["data"], ["k": 1])
            XCTAssertEqual(notification["isRead"], false)
            XCTAssertEqual(notification["priority"], "high")
            XCTAssertNotNil(notification["createdAt"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/))
            // The bare number, as the old server sent it.
            XCTAssertEqual(events[1], ["unreadNotificationCount", 1])
        }
        // An online user gets no SMS, whatever the priority.
        XCTAssertEqual(FakeSMSModule.sent.withLock { $0.count }, 0)
    }

    func testEveryChangePushesTheNewCountToAllTabs() throws {
        let (tab1, _) = try gateway.joinCounted("bob")
        let (tab2, _) = try gateway.joinCounted("bob")
        var ids: [String] = []
        for n in 1...4 {
            ids.append(try gateway.createNotification(for: "bob", title: "n\(n)"))
            for tab in [tab1, tab2] { XCTAssertEqual(try tab.events(2)[1], ["unreadNotificationCount", .int(n)]) }
        }
        /// `acked`: the events that arrived on the acknowledging tab (the second) before its ack.
        func expectCount(_ n: Int, acked: [JSONValue]? = nil, _ line: UInt = #line) throws {
            let count: JSONValue = ["unreadNotificationCount", .int(n)]
            XCTAssertEqual(try tab1.events(1).first, count, line: line)
            // The count may come before or after the ack (they travel separately).
            let seen = acked ?? []
            XCTAssertEqual(seen.isEmpty ? try tab2.events(1) : seen, [count], line: line)
            XCTAssertEqual(try gateway.unreadCount("bob"), n, line: line)
        }

        let read = try gateway.request("PATCH", "/notifications/\(ids[0])/read", token: userToken("bob"))
        XCTAssertEqual(read.status, 200)
        XCTAssertEqual(try json(read.bodyText), ["success": true, "unreadCount": 3])
        try expectCount(3)

        let socketRead = try tab2.ack("markNotificationRead", #"{"id":"\#(ids[1])"}"#, id: 1)
        XCTAssertEqual(socketRead.ack, #"[{"success":true,"unreadCount":2}]"#)
        try expectCount(2, acked: socketRead.events)
        // Reading it again (the id as a number this time) changes nothing but still answers with the count.
        let again = try tab2.ack("markNotificationRead", #"{"id":\#(ids[1])}"#, id: 2)
        XCTAssertEqual(again.ack, #"[{"success":true,"unreadCount":2}]"#)
        try expectCount(2, acked: again.events)

        XCTAssertEqual(try gateway.request("DELETE", "/notifications/\(ids[2])", token: userToken("bob")).status, 200)
        try expectCount(1)

        let all = try gateway.request("PATCH", "/notifications/read-all", token: userToken("bob"))
        XCTAssertEqual(try json(all.bodyText), ["success": true, "updated": 1, "unreadCount": 0])
        try expectCount(0)

        _ = try gateway.createNotification(for: "bob")
        for tab in [tab1, tab2] { XCTAssertEqual(try tab.events(2)[1], ["unreadNotificationCount", 1]) }
        let allBySocket = try tab2.ack("markAllNotificationsRead", id: 3)
        XCTAssertEqual(allBySocket.ack, #"[{"success":true,"updated":1,"unreadCount":0}]"#)
        try expectCount(0, acked: allBySocket.events)

        let list = try gateway.list("bob")
        XCTAssertEqual(list.body["totalCount"], 4)
        XCTAssertEqual(list.body["unreadCount"], 0)
        XCTAssertTrue(list.body["notifications"]?.arrayValue?.allSatisfy { $0["readAt"]?.stringValue != nil } == true)
    }

    func testAnOfflineUserGetsTheCountOnConnectAndTheListNewestFirst() throws {
        let first = try gateway.createNotification(for: "carol", title: "first")
        let response = try gateway.request("POST", "/internal/notifications", token: serviceToken,
                                           body: #"{"userId":"carol","title":"second","message":"m","type":"custom"}"#)
        XCTAssertEqual(try json(response.bodyText)["deliveredRealtime"], false)
        let (socket, count) = try gateway.joinCounted("carol")
        XCTAssertEqual(count, 2)
        let list = try gateway.list("carol")
        XCTAssertEqual(list.body["notifications"]?.arrayValue?.map { $0["title"] }, ["second", "first"])
        XCTAssertEqual(list.body["notifications"]?[1]?["id"]?.stringValue, first)
        XCTAssertEqual(list.body["totalCount"], 2)
        XCTAssertEqual(list.body["unreadCount"], 2)
        XCTAssertEqual(try socket.eventsWithin(0.2), [])
    }

    func testAnUrgentNotificationToAnOptedInOfflineUserGoesOutBySMS() throws {
        try gateway.setUser("dana", #"{"phone":"+821012345678","smsOptIn":true,"locale":"en"}"#)
        try gateway.setUser("eve", #"{"phone":"+821099998888","smsOptIn":false}"#)
        // Not urgent enough, not opted in, and online: none of these is sent.
        try gateway.createNotification(for: "dana", title: "normal", extra: #","priority":"normal""#)
        try gateway.createNotification(for: "eve", title: "not opted in", extra: #","priority":"urgent""#)
        let (online, _) = try gateway.joinCounted("frank")
        try gateway.setUser("frank", #"{"phone":"+821055556666","smsOptIn":true}"#)
        try gateway.createNotification(for: "frank", title: "online", extra: #","priority":"urgent""#)
        XCTAssertEqual(try online.events(2)[0][0], "newNotification")

        let id = try gateway.createNotification(for: "dana", title: "Your plan changed", message: "Open the app",
                                                extra: #","priority":"urgent""#)
        XCTAssertTrue(waitUntil { FakeSMSModule.sent.withLock { !$0.isEmpty } })
        XCTAssertTrue(waitUntil {
            let text = (try? self.gateway.metricsText()) ?? ""
            return text.contains(#"fitmate_notifications_fallback_total{channel="sms",outcome="not_opted_in"} 1"#)
                && text.contains(#"fitmate_notifications_fallback_total{channel="sms",outcome="sent"} 1"#)
        })
        let sent = FakeSMSModule.sent.withLock { $0 }
        XCTAssertEqual(sent, [SMSRequest(to: "+821012345678", body: "Your plan changed\nOpen the app", locale: "en",
                                         purpose: "notification_fallback")])
        let database = gateway.database
        let rows = try blocking { try await database.query(
            "SELECT fallback_channel, fallback_status FROM notifications_delivery_log WHERE notification_id = ?", [.integer(Int64(id)!)]) }
        XCTAssertEqual(rows.first?["fallback_channel"], "sms")
        XCTAssertEqual(rows.first?["fallback_status"], "sent")
    }

    func testTheFallbackChainIsConfigurablePerTypeAndPriority() throws {
        gateway.stop()
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self, FakeSMSModule.self]) {
            $0.modules["notifications"] = .init(enabled: true, raw: [
                "fallback": .object(["default": .object(["urgent": .array([]), "normal": .array([.string("sms")])]),
                                     "byType": .object(["chat_message": .object(["normal": .array([])])])]),
            ])
        }
        try gateway.setUser("gina", #"{"phone":"+821012340000","smsOptIn":true}"#)
        try gateway.createNotification(for: "gina", title: "urgent system", extra: #","priority":"urgent""#)
        try gateway.createNotification(for: "gina", title: "normal chat", type: "chat_message")
        try gateway.createNotification(for: "gina", title: "normal system")
        XCTAssertTrue(waitUntil { FakeSMSModule.sent.withLock { !$0.isEmpty } })
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(FakeSMSModule.sent.withLock { $0.map(\.body) }, ["normal system\nA message"])
    }

    func testWithoutAnSMSModuleTheFallbackIsRecordedAsUnavailable() throws {
        gateway.stop()
        gateway = try ModuleTestGateway(modules: [NotificationsModule.self])
        try gateway.setUser("hana", #"{"phone":"+821012341234","smsOptIn":true}"#)
        try gateway.createNotification(for: "hana", extra: #","priority":"urgent""#)
        XCTAssertTrue(waitUntil {
            ((try? self.gateway.metricsText()) ?? "").contains(#"fitmate_notifications_fallback_total{channel="sms",outcome="unavailable"} 1"#)
        })
    }

    /// Creates race on separate connections; the counts a tab sees never go back, and the last one is the truth.
    func testConcurrentChangesNeverLeaveAStaleCountLast() throws {
        let (tab, _) = try gateway.joinCounted("ivan")
        let total = 24
        nonisolated(unsafe) let gateway = self.gateway!
        DispatchQueue.concurrentPerform(iterations: total) { n in
            _ = try? gateway.createNotification(for: "ivan", title: "c\(n)")
        }
        var counts: [Int] = []
        var notifications = 0
        while notifications < total || counts.last != total {
            guard let event = try tab.events(1, timeoutSeconds: 3).first else { break }
            if event[0] == "newNotification" { notifications += 1 } else if let n = event[1]?.intValue { counts.append(n) }
        }
        XCTAssertEqual(notifications, total)
        XCTAssertEqual(counts.last, total)
        XCTAssertEqual(counts, counts.sorted(), "a count arrived after a newer one")
    }
}

/// Runs async work from a synchronous XCTest method.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    Task { 
        do { let value = try await body(); result.withLock { $0 = .success(value) } } catch { result.withLock { $0 = .failure(error) } }
    }
    guard waitUntil(timeoutSeconds: 10, { result.withLock { $0 != nil } }) else { throw TestError("timed out") }
    return try result.withLock { $0! }.get()
}
