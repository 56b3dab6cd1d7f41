import Chat
import GatewayProtocol
import GatewayTestKit
import TestSupport
import XCTest

/// Offline members get a `chat_message` notification through the Notifications service (here a recording fake).
final class ChatNotificationTests: ChatTestCase {
    func testOfflineMembersAreNotifiedAndOnlineOnesAreNot() throws {
        try createRoom("r1", members: ["alice", "bob", "dave"])
        let (alice, _) = try joined("alice", "r1", name: "Alice")
        _ = try connect("bob")   // online, though not in the room
        let sent = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "운동 가요?"])

        XCTAssertTrue(waitUntil { self.notifications.count == 1 }, "\(notifications)")
        let notification = try XCTUnwrap(notifications.first)
        XCTAssertEqual(notification.userId, "dave")
        XCTAssertEqual(notification.type, "chat_message")
        XCTAssertEqual(notification.title, "새 메시지")
        XCTAssertEqual(notification.message, "Alice: 운동 가요?")
        XCTAssertEqual(notification.data, ["chatRoomId": "r1", "messageId": sent["id"]!, "senderId": "alice"])
    }

    func testASupportReplyNotifiesTheOfflineUser() throws {
        let (admin, _) = try joined("admin-1", "support:u9", role: "admin")
        _ = try admin.call("sendMessage", ["chatRoomId": "support:u9", "message": "사진", "messageType": "image"])
        XCTAssertTrue(waitUntil { self.notifications.count == 1 })
        XCTAssertEqual(notifications.first?.userId, "u9")
        XCTAssertEqual(notifications.first?.message, "사진")
    }
}

/// Chat without the Notifications module: messages still flow, nobody is notified.
final class ChatWithoutNotificationsTests: ChatTestCase {
    override var modules: [any GatewayModule.Type] { [ChatModule.self] }

    func testSendingWorksWithoutTheService() throws {
        try createRoom("r1", members: ["alice", "dave"])
        let (alice, _) = try joined("alice", "r1")
        XCTAssertEqual(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "hi"])["message"], "hi")
    }
}
