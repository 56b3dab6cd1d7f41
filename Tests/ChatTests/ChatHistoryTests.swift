import Gateway
import GatewayProtocol
import XCTest

/// History order and pagination, at the configured sizes.
final class ChatHistoryTests: ChatTestCase {
    override var chatSettings: [String: ConfigValue] { ["historyLimit": 3, "defaultPageSize": 4, "maxPageSize": 10,
                                                         "rateLimit": .object(["messagesPerSecond": 100, "burst": 100])] }

    func send(_ count: Int, as peer: ChatPeer) throws -> [JSONValue] {
        try (1...count).map { try peer.call("sendMessage", ["chatRoomId": "r1", "message": .string("m\($0)")])["id"]! }
    }

    func messages(_ query: String) throws -> (texts: [String], total: Int?) {
        let response = try gateway.request("GET", "/chat/rooms/r1/messages\(query)", token: token("alice"))
        XCTAssertEqual(response.status, 200, response.bodyText)
        let page = try json(response)
        return (page["messages"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? [], page["totalCount"]?.intValue)
    }

    func testChatHistoryHoldsTheLastHistoryLimitMessagesOldestFirst() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1")
        _ = try send(3, as: alice)
        XCTAssertEqual(try joined("bob", "r1").1.arrayValue?.map { $0["message"] }, ["m1", "m2", "m3"], "exactly the limit")
        _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "m4"])
        let (_, history) = try joined("bob", "r1")
        XCTAssertEqual(history.arrayValue?.map { $0["message"] }, ["m2", "m3", "m4"])
    }

    func testPagesCountFromTheNewestAndEachIsOldestFirst() throws {
        try createRoom("r1", members: ["alice"])
        let (alice, _) = try joined("alice", "r1")
        let ids = try send(11, as: alice)

        XCTAssertEqual(try messages("").texts, ["m8", "m9", "m10", "m11"], "defaultPageSize")
        XCTAssertEqual(try messages("").total, 11)
        XCTAssertEqual(try messages("?page=2&limit=4").texts, ["m4", "m5", "m6", "m7"])
        XCTAssertEqual(try messages("?page=3&limit=4").texts, ["m1", "m2", "m3"])
        XCTAssertEqual(try messages("?page=4&limit=4").texts, [])
        XCTAssertEqual(try messages("?limit=10").texts.count, 10, "maxPageSize")

        let cursor = try XCTUnwrap(ids[5].stringValue)   // m6
        XCTAssertEqual(try messages("?before=\(cursor)&limit=3").texts, ["m3", "m4", "m5"])
        XCTAssertEqual(try messages("?before=\(cursor)&limit=3&page=2").texts, ["m1", "m2"])
        XCTAssertEqual(try messages("?before=\(cursor)").total, 11, "totalCount is the room's")
    }

    func testBadPageParametersAreNamed() throws {
        try createRoom("r1", members: ["alice"])
        for (query, message) in [("?limit=11", "limit: must be an integer from 1 to 10, got 11"),
                                 ("?limit=0", "limit: must be an integer from 1 to 10, got 0"),
                                 ("?page=0", "page: must be an integer from 1 to 1000000, got 0"),
                                 ("?before=abc", "before: expected a message id, got \"abc\"")] {
            let response = try gateway.request("GET", "/chat/rooms/r1/messages\(query)", token: token("alice"))
            XCTAssertEqual(response.status, 400, query)
            XCTAssertEqual(try json(response)["message"], .string(message))
        }
        XCTAssertEqual(try gateway.request("GET", "/chat/rooms/r1/messages").status, 401)
    }
}
