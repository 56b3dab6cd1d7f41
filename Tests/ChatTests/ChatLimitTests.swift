import Gateway
import GatewayProtocol
import GatewayTestKit
import XCTest

/// Text length, metadata size and the per-user rate limit, each at its configured edge.
final class ChatLimitTests: ChatTestCase {
    static let start: Int64 = 1_790_000_000_000
    let manualClock = ManualSchedulerClock(nowMs: ChatLimitTests.start)
    override var clock: (any SchedulerClock)? { manualClock }
    override var chatSettings: [String: ConfigValue] {
        ["maxMessageLength": 10, "maxMetadataBytes": 20, "rateLimit": .object(["messagesPerSecond": 2, "burst": 3])]
    }

    func testMessageLengthIsCountedInCharactersUpToTheLimit() throws {
        try createRoom("r1", members: ["alice"])
        let (alice, _) = try joined("alice", "r1")
        XCTAssertEqual(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "가나다라마바사아자차"])["message"],
                       "가나다라마바사아자차", "10 characters (30 bytes) is at the limit")
        manualClock.advance(toMs: Self.start + 10_000)
        let refused = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "12345678901"])
        XCTAssertEqual(refused["code"], "message_too_long")
        XCTAssertEqual(refused["error"], "message: 11 characters is over the limit of 10")
        XCTAssertEqual(try alice.event("error")["code"], "message_too_long")
    }

    func testMetadataIsLimitedInBytesOfJSON() throws {
        try createRoom("r1", members: ["alice"])
        let (alice, _) = try joined("alice", "r1")
        // {"url":"abcdefghijk"} is 21 bytes; one letter less is 20.
        XCTAssertNil(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "x", "metadata": ["url": "abcdefghij"]])["code"])
        let refused = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "x", "metadata": ["url": "abcdefghijk"]])
        XCTAssertEqual(refused["code"], "metadata_too_large")
        XCTAssertEqual(refused["error"], "metadata: 21 bytes of JSON is over the limit of 20")
        XCTAssertEqual(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "x", "metadata": "text"])["code"],
                       "invalid_payload")
    }

    func testRateLimitAllowsTheBurstThenTheRatePerUser() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1")
        let (bob, _) = try joined("bob", "r1")
        for i in 1...3 {
            XCTAssertNil(try alice.call("sendMessage", ["chatRoomId": "r1", "message": .string("b\(i)")])["code"])
        }
        let refused = try alice.call("sendMessage", ["chatRoomId": "r1", "message": "b4"])
        XCTAssertEqual(refused["code"], "rate_limited")
        XCTAssertEqual(refused["error"], "too many messages: at most 2 per second (bursts of 3)")
        XCTAssertEqual(try alice.event("error")["code"], "rate_limited")
        XCTAssertNil(try bob.call("sendMessage", ["chatRoomId": "r1", "message": "bob"])["code"])

        manualClock.advance(toMs: Self.start + 499)
        XCTAssertEqual(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "soon"])["code"], "rate_limited")
        manualClock.advance(toMs: Self.start + 1_000)
        // One second at 2 per second refills two.
        XCTAssertNil(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "refill 1"])["code"])
        XCTAssertNil(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "refill 2"])["code"])
        XCTAssertEqual(try alice.call("sendMessage", ["chatRoomId": "r1", "message": "soon"])["code"], "rate_limited")
        let page = try json(try gateway.request("GET", "/chat/rooms/r1/messages?limit=100", token: token("alice")))
        XCTAssertEqual(page["totalCount"], 6, "refused messages are not saved")
    }
}
