import Gateway
import GatewayProtocol
import XCTest

/// The internal routes the main backend (service role) and admins use to manage rooms and members.
final class ChatMembershipRouteTests: ChatTestCase {
    func testCreateRoomsAndReadThemBack() throws {
        let created = try json(try createRoom("team-7", members: ["alice", "bob", "alice"], name: "Team 7"))
        XCTAssertEqual(created["chatRoomId"], "team-7")
        XCTAssertEqual(created["members"], ["alice", "bob"])
        let read = try gateway.request("GET", "/internal/chat/rooms/team-7", token: Self.admin)
        XCTAssertEqual(try json(read)["name"], "Team 7")

        let again = try gateway.request("POST", "/internal/chat/rooms", token: Self.service, body: #"{"chatRoomId":"team-7"}"#)
        XCTAssertEqual(again.status, 409)
        XCTAssertEqual(try json(again)["code"], "room_exists")

        let generated = try gateway.request("POST", "/internal/chat/rooms", token: Self.service, body: #"{"members":["c"]}"#)
        XCTAssertEqual(generated.status, 201)
        XCTAssertTrue(try json(generated)["chatRoomId"]?.stringValue?.hasPrefix("room-") == true)
    }

    func testRefusals() throws {
        let user = try gateway.request("POST", "/internal/chat/rooms", token: token("alice"), body: #"{"chatRoomId":"x"}"#)
        XCTAssertEqual(user.status, 403)
        let support = try gateway.request("POST", "/internal/chat/rooms", token: Self.service, body: #"{"chatRoomId":"support:u1"}"#)
        XCTAssertEqual(support.status, 400)
        XCTAssertEqual(try json(support)["message"], "chatRoomId: support:<userId> rooms exist without being created")
        let members = try gateway.request("POST", "/internal/chat/rooms", token: Self.service, body: #"{"members":"alice"}"#)
        XCTAssertEqual(try json(members)["message"], "members: expected an array of user ids")
        let long = String(repeating: "r", count: 129)
        let tooLong = try gateway.request("POST", "/internal/chat/rooms", token: Self.service, body: "{\"chatRoomId\":\"\(long)\"}")
        XCTAssertEqual(try json(tooLong)["message"], "chatRoomId: must be 1 to 128 characters")
        XCTAssertEqual(try gateway.request("POST", "/internal/chat/rooms", token: Self.service,
                                           body: "{\"chatRoomId\":\"\(long.dropFirst())\"}").status, 201, "128 is allowed")
        XCTAssertEqual(try gateway.request("PUT", "/internal/chat/rooms/none/members/a", token: Self.service).status, 404)
    }

    func testAddedMembersMayJoinAndRemovedOnesStopReceivingAtOnce() throws {
        try createRoom("r1", members: ["alice"])
        let bob = try connect("bob")
        XCTAssertEqual(try bob.call("joinChat", ["chatRoomId": "r1"])["code"], "forbidden")

        let added = try gateway.request("PUT", "/internal/chat/rooms/r1/members/bob", token: Self.service)
        XCTAssertEqual(try json(added)["added"], true)
        XCTAssertEqual(try json(try gateway.request("PUT", "/internal/chat/rooms/r1/members/bob", token: Self.admin))["added"],
                       false, "adding twice is harmless")
        XCTAssertEqual(try bob.call("joinChat", ["chatRoomId": "r1"])["success"], true)
        let (alice, _) = try joined("alice", "r1")
        _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "welcome"])
        XCTAssertEqual(try bob.event("newMessage")["message"], "welcome")

        let removed = try gateway.request("DELETE", "/internal/chat/rooms/r1/members/bob", token: Self.service)
        XCTAssertEqual(try json(removed)["removed"], true)
        _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "bob is gone"])
        XCTAssertFalse(bob.receives("newMessage"))
        XCTAssertEqual(try bob.call("sendMessage", ["chatRoomId": "r1", "message": "still here?"])["code"], "forbidden")
        XCTAssertEqual(try json(try gateway.request("GET", "/internal/chat/rooms/r1", token: Self.service))["members"], ["alice"])
    }
}
