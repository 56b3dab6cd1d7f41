import Chat
import Gateway
import GatewayProtocol
import GatewayTestKit
import Notifications
import TestSupport
import XCTest

/// With the real Notifications module: an offline member finds the `chat_message` notification in their list.
final class ChatRealNotificationsTests: ChatTestCase {
    override var modules: [any GatewayModule.Type] { [NotificationsModule.self, ChatModule.self] }

    func testAnOfflineMemberFindsTheChatNotification() throws {
        try createRoom("r1", members: ["alice", "dave"])
        let (alice, _) = try joined("alice", "r1", name: "Alice")
        _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "내일 같이 뛰어요"])

        var list = JSONValue.null
        XCTAssertTrue(waitUntil {
            list = (try? self.json(try self.gateway.request("GET", "/notifications", token: self.token("dave")))) ?? .null
            return list["totalCount"] == 1
        }, "\(list)")
        let notification = list["notifications"]?[0]
        XCTAssertEqual(notification?["type"], "chat_message")
        XCTAssertEqual(notification?["title"], "새 메시지")
        XCTAssertEqual(notification?["message"], "Alice: 내일 같이 뛰어요")
        XCTAssertEqual(notification?["data"]?["chatRoomId"], "r1")
        XCTAssertEqual(try json(try gateway.request("GET", "/notifications", token: token("alice")))["totalCount"], 0,
                       "the sender is not notified")
    }
}
