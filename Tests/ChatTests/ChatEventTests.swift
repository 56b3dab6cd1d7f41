import Gateway
import GatewayProtocol
import XCTest

/// Every socket event on the happy path, with the old server's names and payload shapes.
final class ChatEventTests: ChatTestCase {
    func testSendMessageIsSavedDeliveredToTheRoomAndAcknowledgedWithTheSavedMessage() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1", name: "Alice Kim")
        let (bob, _) = try joined("bob", "r1")

        let ack = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "안녕하세요", "metadata": ["k": 1]])
        let delivered = try bob.event("newMessage")
        XCTAssertEqual(delivered, ack)
        XCTAssertEqual(try alice.event("newMessage"), ack, "the sender is in the room too")
        XCTAssertNotNil(ack["id"]?.stringValue)
        XCTAssertEqual(ack["_id"], ack["id"])
        XCTAssertEqual(ack["chatRoomId"], "r1")
        XCTAssertEqual(ack["senderId"], "alice")
        XCTAssertEqual(ack["sender"], ["_id": "alice", "name": "Alice Kim", "email": "alice@fitmate.test",
                                       "picture": "https://img.fitmate.test/alice.png"])
        XCTAssertEqual(ack["message"], "안녕하세요")
        XCTAssertEqual(ack["messageType"], "text")
        XCTAssertEqual(ack["readBy"], [])
        XCTAssertEqual(ack["isDeleted"], false)
        XCTAssertEqual(ack["metadata"], ["k": 1])
        let timestamp = try XCTUnwrap(ack["timestamp"]?.stringValue)
        XCTAssertTrue(timestamp.hasSuffix("Z") && timestamp.count == 24, timestamp)

        // Without an ack, as the React client sends it.
        alice.emit("sendMessage", ["chatRoomId": "r1", "message": "second"])
        XCTAssertEqual(try bob.event("newMessage")["message"], "second")
    }

    func testJoinChatSendsTheHistoryOldestFirstToTheJoinerAndUserJoinedToTheOthers() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, empty) = try joined("alice", "r1")
        XCTAssertEqual(empty, [])
        for text in ["one", "two", "three"] { _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": .string(text)]) }

        let (bob, history) = try joined("bob", "r1")
        XCTAssertEqual(history.arrayValue?.map { $0["message"] }, ["one", "two", "three"])
        XCTAssertEqual(try alice.event("userJoined"), ["userId": "bob", "chatRoomId": "r1"])
        XCTAssertFalse(bob.receives("userJoined"), "the joiner is not told about itself")
    }

    func testTypingIsRelayedToTheOthersAndNeverStored() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1")
        let (bob, _) = try joined("bob", "r1")
        alice.emit("typing", ["chatRoomId": "r1", "isTyping": true])
        XCTAssertEqual(try bob.event("typing"), ["chatRoomId": "r1", "userId": "alice", "isTyping": true])
        XCTAssertFalse(alice.receives("typing"))
        let page = try json(try gateway.request("GET", "/chat/rooms/r1/messages", token: token("bob")))
        XCTAssertEqual(page["totalCount"], 0)
    }

    func testMarkAsReadUpdatesReadByAndTellsTheRoom() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1")
        let (bob, _) = try joined("bob", "r1")
        _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "read me"])
        let rooms = try json(try gateway.request("GET", "/chat/rooms", token: token("bob")))
        XCTAssertEqual(rooms["rooms"], [["chatRoomId": "r1", "type": "group", "unreadCount": 1],
                                        ["chatRoomId": "support:bob", "type": "support", "unreadCount": 0]])

        let ack = try bob.call("markAsRead", ["chatRoomId": "r1"])
        XCTAssertEqual(ack["userId"], "bob")
        XCTAssertEqual(try alice.event("messagesRead"), ["chatRoomId": "r1", "userId": "bob"])
        let page = try json(try gateway.request("GET", "/chat/rooms/r1/messages", token: token("alice")))
        XCTAssertEqual(page["messages"]?[0]?["readBy"], ["bob"])
        let after = try json(try gateway.request("GET", "/chat/rooms", token: token("bob")))
        XCTAssertEqual(after["rooms"]?[0]?["unreadCount"], 0)

        // A later message is unread again, and not yet read by bob.
        _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "and me"])
        let later = try json(try gateway.request("GET", "/chat/rooms/r1/messages", token: token("alice")))
        XCTAssertEqual(later["messages"]?[1]?["readBy"], [])
        XCTAssertEqual(try json(try gateway.request("GET", "/chat/rooms", token: token("bob")))["rooms"]?[0]?["unreadCount"], 1)
    }

    func testTheSenderOrAnAdminSoftDeletesAMessage() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1")
        let (bob, _) = try joined("bob", "r1")
        let first = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "oops"])
        let second = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "keep"])
        let third = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "moderated"])

        let ack = try alice.call("deleteMessage", ["messageId": first["id"]!])
        XCTAssertEqual(ack["success"], true)
        XCTAssertEqual(try bob.event("messageDeleted"), ["messageId": first["id"]!, "chatRoomId": "r1", "deletedBy": "alice"])

        let id = try XCTUnwrap(third["id"]?.stringValue)
        let deleted = try gateway.request("DELETE", "/chat/messages/\(id)", token: Self.admin)
        XCTAssertEqual(deleted.status, 200, deleted.bodyText)
        XCTAssertEqual(try bob.event("messageDeleted")["deletedBy"], "admin-1")

        let page = try json(try gateway.request("GET", "/chat/rooms/r1/messages", token: token("bob")))
        XCTAssertEqual(page["messages"]?.arrayValue?.map { $0["id"] }, [second["id"]])
        XCTAssertEqual(page["totalCount"], 1)
        XCTAssertEqual(try gateway.request("DELETE", "/chat/messages/\(id)", token: Self.admin).status, 404, "already deleted")
    }

    func testMessageTypes() throws {
        try createRoom("r1", members: ["alice"])
        let (alice, _) = try joined("alice", "r1")
        for type in ["text", "image", "file"] {
            let ack = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "x", "messageType": .string(type)])
            XCTAssertEqual(ack["messageType"], .string(type))
        }
        let video = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "x", "messageType": "video"])
        XCTAssertEqual(video["code"], "invalid_payload")
        XCTAssertEqual(try alice.event("error")["code"], "invalid_payload")
        XCTAssertEqual(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "x", "messageType": "system"])["code"],
                       "forbidden", "system messages are the admins'")
        let admin = try connect("admin-1", role: "admin")
        XCTAssertEqual(try admin.call("sendMessage", ["chatRoomId": "r1", "message": "maintenance at 3",
                                                      "messageType": "system"])["messageType"], "system")
    }

    func testReplyToMustBeAMessageOfTheSameRoom() throws {
        try createRoom("r1", members: ["alice"])
        try createRoom("r2", members: ["alice"])
        let (alice, _) = try joined("alice", "r1")
        let first = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "question"])
        let reply = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "answer", "replyTo": first["id"]!])
        XCTAssertEqual(reply["replyTo"], first["id"])
        let elsewhere = try alice.call("sendMessage", ["chatRoomId": "r2", "message": "answer", "replyTo": first["id"]!])
        XCTAssertEqual(elsewhere["code"], "invalid_reply")
    }
}
