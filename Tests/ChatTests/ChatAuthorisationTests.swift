import Gateway
import GatewayProtocol
import XCTest

/// Join, read and send only for members and admins; support rooms are the user and the admins; every refusal is an
/// `error` (event, or error ack when one was asked for).
final class ChatAuthorisationTests: ChatTestCase {
    func testANonMemberCannotJoinReadOrSend() throws {
        try createRoom("r1", members: ["alice"])
        let (alice, _) = try joined("alice", "r1")
        _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "private"])
        _ = try alice.event("newMessage")
        let carol = try connect("carol")

        carol.emit("joinChat", ["chatRoomId": "r1"])
        let error = try carol.event("error")
        XCTAssertEqual(error["code"], "forbidden")
        XCTAssertEqual(error["event"], "joinChat")
        XCTAssertEqual(error["message"], "you are not a member of chat room r1")
        XCTAssertFalse(carol.receives("chatHistory"))

        // sendMessage answers both ways: the error event and the error ack.
        let ack = try carol.call("sendMessage", ["chatRoomId": "r1", "message": "let me in"])
        XCTAssertEqual(ack["code"], "forbidden")
        XCTAssertEqual(try carol.event("error")["event"], "sendMessage")
        XCTAssertFalse(alice.receives("newMessage"))

        XCTAssertEqual(try carol.call("markAsRead", ["chatRoomId": "r1"])["code"], "forbidden")
        XCTAssertEqual(try carol.call("typing", ["chatRoomId": "r1"])["code"], "forbidden")
        XCTAssertEqual(try gateway.request("GET", "/chat/rooms/r1/messages", token: token("carol")).status, 403)
        // A room that does not exist answers non-admins the same as one they may not see.
        XCTAssertEqual(try carol.call("joinChat", ["chatRoomId": "nope"])["error"], "you are not a member of chat room nope")
    }

    func testAnAdminMayJoinAnyRoom() throws {
        try createRoom("r1", members: ["alice"])
        let (alice, _) = try joined("alice", "r1")
        let (admin, history) = try joined("admin-1", "r1", role: "admin")
        XCTAssertEqual(history, [])
        _ = try admin.call("sendMessage", ["chatRoomId": "r1", "message": "hello from support"])
        XCTAssertEqual(try alice.event("newMessage")["senderId"], "admin-1")
        XCTAssertEqual(try admin.call("joinChat", ["chatRoomId": "nope"])["code"], "not_found")
    }

    func testSupportRoomsAreTheUserAndTheAdminsWithoutSetUp() throws {
        let (user, _) = try joined("u1", "support:u1")
        let (admin, _) = try joined("admin-1", "support:u1", role: "admin")
        let other = try connect("u2")
        XCTAssertEqual(try other.call("joinChat", ["chatRoomId": "support:u1"])["code"], "forbidden")

        _ = try user.call("sendMessage", ["chatRoomId": "support:u1", "message": "my watch does not sync"])
        _ = try user.event("newMessage")
        XCTAssertEqual(try admin.event("newMessage")["message"], "my watch does not sync")
        _ = try admin.call("sendMessage", ["chatRoomId": "support:u1", "message": "try re-pairing"])
        XCTAssertEqual(try user.event("newMessage")["senderId"], "admin-1")
    }

    func testJoinAsAdminIsForAdminsOnly() throws {
        let user = try connect("u1")
        user.emit("joinAsAdmin", .null)
        let error = try user.event("error")
        XCTAssertEqual(error["code"], "forbidden")
        XCTAssertEqual(error["message"], "joinAsAdmin needs the admin role")
        XCTAssertFalse(user.receives("allChatUsers"))
        XCTAssertEqual(try gateway.request("GET", "/chat/users", token: token("u1")).status, 403)
    }

    func testJoinAsAdminListsSendersNewestFirstWithTheirProfiles() throws {
        let (u1, _) = try joined("u1", "support:u1", name: "Kim")
        let (u2, _) = try joined("u2", "support:u2", name: "Lee")
        _ = try u1.call("sendMessage", ["chatRoomId": "support:u1", "message": "first"])
        _ = try u2.call("sendMessage", ["chatRoomId": "support:u2", "message": "second"])
        _ = try u1.call("sendMessage", ["chatRoomId": "support:u1", "message": "third"])

        let admin = try connect("admin-1", role: "admin")
        XCTAssertEqual(try admin.call("joinAsAdmin", .null)["success"], true)
        let list = try admin.event("allChatUsers")
        XCTAssertEqual(list.arrayValue?.map { $0["userId"] }, ["u1", "u2"])
        XCTAssertEqual(list[0]?["lastMessage"], "third")
        XCTAssertEqual(list[0]?["messageCount"], 2)
        XCTAssertEqual(list[0]?["chatRoomId"], "support:u1")
        XCTAssertEqual(list[0]?["name"], "Kim")
        XCTAssertEqual(list[0]?["email"], "u1@fitmate.test")
        XCTAssertEqual(list[0]?["picture"], "https://img.fitmate.test/u1.png")
        XCTAssertEqual(list[1]?["messageCount"], 1)
        XCTAssertNotNil(list[0]?["lastMessageTime"]?.stringValue)

        let rest = try gateway.request("GET", "/chat/users", token: Self.admin)
        XCTAssertEqual(try json(rest), list)
    }

    func testOnlyTheSenderOrAnAdminDeletesAMessage() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1")
        let (bob, _) = try joined("bob", "r1")
        let message = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "mine"])
        let refused = try bob.call("deleteMessage", ["messageId": message["id"]!])
        XCTAssertEqual(refused["code"], "forbidden")
        let id = try XCTUnwrap(message["id"]?.stringValue)
        XCTAssertEqual(try gateway.request("DELETE", "/chat/messages/\(id)", token: token("bob")).status, 403)
        XCTAssertEqual(try gateway.request("DELETE", "/chat/messages/999999", token: token("bob")).status, 404)
        XCTAssertFalse(alice.receives("messageDeleted"))
        XCTAssertEqual(try json(try gateway.request("GET", "/chat/rooms/r1/messages", token: token("alice")))["totalCount"], 1)
    }

    func testTypingNeedsAJoinedRoom() throws {
        try createRoom("r1", members: ["alice"])
        let alice = try connect("alice")
        let refused = try alice.call("typing", ["chatRoomId": "r1"])
        XCTAssertEqual(refused["error"], "join chat room r1 (joinChat) before sending typing to it")
    }
}
