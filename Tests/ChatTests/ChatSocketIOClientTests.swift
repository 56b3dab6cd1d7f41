import EventLoop
import Foundation
import GatewayProtocol
import GatewayTestKit
import SocketIOClient
import Synchronization
import TestSupport
import XCTest

/// The chat through the project's Socket.IO client, connecting as the React client does by default: long-polling first,
/// then the upgrade to WebSocket.
final class ChatSocketIOClientTests: ChatTestCase {
    /// What one client saw, in order; written on the client loop, read by the test.
    final class Seen: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        func first(_ prefix: String) -> String? {
            var hit: String?
            _ = waitUntil { hit = self.entries.withLock { $0.first { $0.hasPrefix(prefix) } }; return hit != nil }
            return hit
        }
    }

    /// Loop-confined client objects, kept alive between test steps.
    final class Box: @unchecked Sendable {
        var client: SocketIOClient?
        var socket: SocketIOClientSocket?
    }

    /// Kept until the client loop has stopped: the client's callbacks do not outlive it.
    private var boxes: [Box] = []

    override func tearDown() {
        let closed = DispatchSemaphore(value: 0)
        let boxes = self.boxes
        gateway.clientGroup.loops[0].execute {
            for box in boxes { box.client?.close() }
            closed.signal()
        }
        closed.wait()
        usleep(20_000)
        super.tearDown()
    }

    func open(_ user: String, transports: [EngineIOClient.Transport]) throws -> (Box, Seen) {
        let box = Box(), seen = Seen()
        boxes.append(box)
        let options = try SocketIOClient.Options(url: "http://127.0.0.1:\(gateway.port)", transports: transports)
        let loop = gateway.clientGroup.loops[0]
        let auth: JSONObject = ["token": .string(token(user))]
        loop.execute {
            let client = SocketIOClient(options: options, loop: loop)
            let socket = client.socket("/", auth: auth)
            box.client = client
            box.socket = socket
            socket.onConnect = { seen.add("connect") }
            socket.onAny { event, arguments, _ in seen.add("\(event) \(arguments.values.first ?? .null)") }
            socket.connect()
        }
        XCTAssertNotNil(seen.first("connect"))
        return (box, seen)
    }

    func emit(_ box: Box, _ seen: Seen, _ event: String, _ payload: JSONValue) {
        gateway.clientGroup.loops[0].execute {
            box.socket?.emitWithAck(event, arguments: [payload], timeoutMs: 5000) { result in
                if case .success(let answer) = result { seen.add("ack:\(event) \(answer.values.first ?? .null)") }
            }
        }
    }

    func testJoinSendAndRefusalThroughPollingUpgradeAndWebSocket() throws {
        try createRoom("r1", members: ["alice", "bob"])
        let (alice, aliceSaw) = try open("alice", transports: [.polling, .websocket])
        let (bob, bobSaw) = try open("bob", transports: [.websocket])
        let (carol, carolSaw) = try open("carol", transports: [.polling])

        emit(alice, aliceSaw, "joinChat", ["chatRoomId": "r1"])
        XCTAssertEqual(aliceSaw.first("chatHistory"), "chatHistory []")
        emit(bob, bobSaw, "joinChat", ["chatRoomId": "r1"])
        XCTAssertEqual(aliceSaw.first("userJoined"), #"userJoined {"userId":"bob","chatRoomId":"r1"}"#)
        XCTAssertNotNil(bobSaw.first("ack:joinChat"))

        emit(bob, bobSaw, "sendMessage", ["chatRoomId": "r1", "message": "from the Swift client"])
        let delivered = try XCTUnwrap(aliceSaw.first("newMessage"))
        XCTAssertTrue(delivered.contains(#""message":"from the Swift client""#), delivered)
        let ack = try XCTUnwrap(bobSaw.first("ack:sendMessage"))
        XCTAssertEqual(ack.dropFirst("ack:sendMessage ".count), delivered.dropFirst("newMessage ".count))

        emit(carol, carolSaw, "sendMessage", ["chatRoomId": "r1", "message": "let me in"])
        XCTAssertTrue(carolSaw.first("error")?.contains(#""code":"forbidden""#) == true)
        XCTAssertTrue(carolSaw.first("ack:sendMessage")?.contains(#""error":"you are not a member of chat room r1""#) == true)
    }
}
