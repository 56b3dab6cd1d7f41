import Gateway
import GatewayProtocol
import GatewayTestKit
import XCTest

/// Messages, rooms and read cursors live in the gateway's SQLite file: a restart on the same data directory keeps them.
final class ChatPersistenceTests: ChatTestCase {
    func testMessagesSurviveARestartOnTheSameDataDirectory() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, _) = try joined("alice", "r1")
        for text in ["before", "the", "restart"] { _ = try alice.call("sendMessage", ["chatRoomId": "r1", "message": .string(text)]) }
        let (bob, _) = try joined("bob", "r1")
        _ = try bob.call("markAsRead", ["chatRoomId": "r1"])
        for client in clients { client.client.close() }
        clients = []
        let dataDir = gateway.dataDir
        gateway.stop(removeData: false)

        gateway = try startGateway(dataDir: dataDir)
        let (_, history) = try joined("alice", "r1")
        XCTAssertEqual(history.arrayValue?.map { $0["message"] }, ["before", "the", "restart"])
        XCTAssertEqual(history[2]?["readBy"], ["bob"])
        let (_, again) = try joined("bob", "r1")
        XCTAssertEqual(again.arrayValue?.count, 3)
    }
}
