import EventLoop
import Foundation
import GatewayProtocol
import SocketIO
import Synchronization
import TestSupport
import XCTest

final class BroadcastTests: XCTestCase {
    var group: EventLoopGroup!

    override func setUpWithError() throws {
        group = try EventLoopGroup(count: 2)
        group.start()
    }

    override func tearDown() {
        group.shutdown()
        group = nil
    }

    /// Three clients on two loops; the server makes each join the rooms named in its `rooms` query parameter.
    private func setUp(_ server: SocketIOServer) -> ([TestClient], [String]) {
        server.sockets.onConnection { socket in
            for room in (socket.handshake.query["rooms"] ?? "").split(separator: ",") { socket.join(String(room)) }
            socket.on("ping") { _, ack in ack?("pong", .string(socket.id)) }
        }
        let clients = [
            TestClient(server: server, loop: group.loops[0], query: ["rooms": "a,b"]),
            TestClient(server: server, loop: group.loops[1], query: ["rooms": "a"]),
            TestClient(server: server, loop: group.loops[1], query: ["rooms": "c"]),
        ]
        let sids = clients.map { $0.connect() ?? "" }
        return (clients, sids)
    }

    /// An emit made on a socket's loop must not overtake one handed to that loop earlier from elsewhere: the count a
    /// storage thread queued first arrives first.
    func testAnEmitOnTheLoopDoesNotOvertakeOneQueuedEarlier() {
        let server = SocketIOServer()
        let (clients, _) = setUp(server)
        let loop = group.loops[0]
        loop.execute {
            // Another thread emits first (its write is queued to this loop), then this loop emits while it still waits.
            let emitted = DispatchSemaphore(value: 0)
            Thread {
                _ = server.to("b").emit("count", 1)
                emitted.signal()
            }.start()
            emitted.wait()
            _ = server.to("b").emit("count", 2)
        }
        let frames = clients[0].waitFor(3)
        XCTAssertEqual(Array(frames.suffix(2)), [.text("2[\"count\",1]"), .text("2[\"count\",2]")])
    }

    func testRoomsExceptAndOneSharedMessageAcrossLoops() {
        let server = SocketIOServer()
        let (clients, sids) = setUp(server)
        server.to("a").emit("news", "x")
        for client in clients[0...1] { XCTAssertEqual(client.waitFor(2)[1], .text("2[\"news\",\"x\"]")) }
        clients[2].expectQuiet(after: 1)
        // The same encoded object went to both recipients, on their two loops.
        let first = clients[0].wire.shared[1], second = clients[1].wire.shared[1]
        XCTAssertNotNil(first)
        XCTAssertTrue(first === second)

        server.to("a", "c").except("b").emit("n2")
        XCTAssertEqual(clients[1].waitFor(3)[2], .text("2[\"n2\"]"))
        XCTAssertEqual(clients[2].waitFor(2)[1], .text("2[\"n2\"]"))
        clients[0].expectQuiet(after: 2)

        // A socket's own room, and socket.broadcast (everyone but itself).
        server.to(sids[2]).emit("direct")
        XCTAssertEqual(clients[2].waitFor(3)[2], .text("2[\"direct\"]"))
        let sid0 = sids[0]
        onLoopBroadcast(server, sid: sid0, loop: group.loops[0])
        XCTAssertEqual(clients[1].waitFor(4)[3], .text("2[\"from0\"]"))
        XCTAssertEqual(clients[2].waitFor(4)[3], .text("2[\"from0\"]"))
        clients[0].expectQuiet(after: 2)
        XCTAssertFalse(server.sockets.emit("disconnect"), "reserved name")
    }

    /// A socket's own room is implied by the adapter rather than stored, yet behaves as a room: another socket may join
    /// it, its owner may leave it and join it again, and it is listed among the socket's rooms only while it is in it.
    func testOwnRoomIsImpliedJoinableByOthersAndCanBeLeft() throws {
        let server = SocketIOServer()
        let (clients, sids) = setUp(server)
        let adapter = try XCTUnwrap(server.sockets.adapter as? InMemoryAdapter)
        XCTAssertEqual(adapter.socketRooms(sids[0]), [sids[0], "a", "b"])
        XCTAssertEqual(adapter.roomCount, 6, "a, b, c and three own rooms")

        adapter.addAll(sids[2], rooms: [sids[0]])
        server.to(sids[0]).emit("both")
        XCTAssertEqual(clients[0].waitFor(2)[1], .text("2[\"both\"]"))
        XCTAssertEqual(clients[2].waitFor(2)[1], .text("2[\"both\"]"))
        clients[1].expectQuiet(after: 1)

        adapter.del(sids[0], room: sids[0])
        XCTAssertEqual(adapter.socketRooms(sids[0]), ["a", "b"])
        server.to(sids[0]).emit("other")
        XCTAssertEqual(clients[2].waitFor(3)[2], .text("2[\"other\"]"))
        clients[0].expectQuiet(after: 2)
        server.except(sids[2]).emit("all-but-2")
        XCTAssertEqual(clients[1].waitFor(2)[1], .text("2[\"all-but-2\"]"))
        XCTAssertEqual(clients[0].waitFor(3)[2], .text("2[\"all-but-2\"]"))

        adapter.addAll(sids[0], rooms: [sids[0]])
        XCTAssertEqual(adapter.socketRooms(sids[0]), [sids[0], "a", "b"])
        adapter.delAll(sids[2])
        XCTAssertEqual(adapter.roomCount, 4, "a, b and the two remaining own rooms; c and the joined room are empty")
    }

    /// Rooms joined before the socket is connected (in a middleware) hold it from its connection on; a socket refused
    /// after joining is in no room, and one that leaves is no longer reached.
    func testRoomsJoinedInAMiddlewareReachTheSocketOnceConnected() throws {
        let server = SocketIOServer()
        server.sockets.use { socket, next in
            socket.join("early")
            if socket.handshake.query["refuse"] == "1" { next(SocketIOConnectError("no")) } else { next() }
        }
        let adapter = try XCTUnwrap(server.sockets.adapter as? InMemoryAdapter)
        let refused = TestClient(server: server, loop: group.loops[0], query: ["refuse": "1"])
        refused.send("0")
        XCTAssertEqual(refused.waitFor(1), [.text("4{\"message\":\"no\"}")])
        XCTAssertEqual(adapter.roomCount, 0, "the refused socket left the room it joined")

        let client = TestClient(server: server, loop: group.loops[1])
        let sid = try XCTUnwrap(client.connect())
        XCTAssertEqual(adapter.socketRooms(sid), [sid, "early"])
        server.to("early").emit("hello")
        XCTAssertEqual(client.waitFor(2)[1], .text("2[\"hello\"]"))

        adapter.del(sid, room: "early")
        server.to("early").emit("gone")
        server.emit("everyone")
        XCTAssertEqual(client.waitFor(3)[2], .text("2[\"everyone\"]"))
        client.expectQuiet(after: 3)
        refused.expectQuiet(after: 1)
    }

    /// Exclusions beyond a handful of sockets (kept as a set, by identity), own rooms among them.
    func testExceptManySocketsByTheirOwnRooms() {
        let server = SocketIOServer()
        server.sockets.onConnection { socket in socket.join("all") }
        let clients = (0..<12).map { TestClient(server: server, loop: group.loops[$0 % 2]) }
        let sids = clients.map { $0.connect() ?? "" }
        server.to("all").except(Array(sids[2...])).emit("few")
        for client in clients[0...1] { XCTAssertEqual(client.waitFor(2)[1], .text("2[\"few\"]")) }
        server.except(sids[0]).emit("most")
        XCTAssertEqual(clients[1].waitFor(3).last, .text("2[\"most\"]"))
        for client in clients[2...] { XCTAssertEqual(client.waitFor(2).last, .text("2[\"most\"]")) }
        for client in clients[2...] { client.expectQuiet(after: 2) }
        clients[0].expectQuiet(after: 2)
    }

    private func onLoopBroadcast(_ server: SocketIOServer, sid: String, loop: EventLoop) {
        _ = onLoop(loop) {
            server.sockets.except(sid).emit("from0")
            return true
        }
    }

    func testBroadcastWithBinaryAndNamespacePrefix() {
        let server = SocketIOServer()
        let chat = server.of("/chat")
        let client = TestClient(server: server, loop: group.loops[0])
        _ = client.connect("/chat")
        var args = SocketIOArguments(["photo"])
        args.appendBinary([0xFF, 0x00])
        chat.emit("upload", arguments: args)
        XCTAssertEqual(Array(client.waitFor(3)[1...]), [
            .text("51-/chat,[\"upload\",\"photo\",{\"_placeholder\":true,\"num\":0}]"), .binary([0xFF, 0x00]),
        ])
    }

    func testBroadcastEmitWithAckCollectsFromEveryLoop() {
        let server = SocketIOServer()
        let (clients, _) = setUp(server)
        let results = Mutex<[SocketIOBroadcastAckResult]>([])
        server.to("a").timeout(2_000).emitWithAck("poll", arguments: [1], on: group.loops[0]) { result in
            results.withLock { $0.append(result) }
        }
        // Both members of "a" got the same ack id; each answers.
        for client in clients[0...1] {
            let sent = client.waitFor(2)
            XCTAssertEqual(sent[1], .text("20[\"poll\",1]"))
            client.send("30[\"yes\"]")
        }
        XCTAssertTrue(waitUntil { results.withLock { $0.count } == 1 })
        let result = results.withLock { $0[0] }
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.responses, [["yes"], ["yes"]])

        // Nobody answers: the timeout delivers what came in (nothing).
        server.timeout(50).emitWithAck("poll2", on: group.loops[1]) { result in results.withLock { $0.append(result) } }
        XCTAssertTrue(waitUntil { results.withLock { $0.count } == 2 })
        XCTAssertTrue(results.withLock { $0[1] }.timedOut)
        XCTAssertEqual(results.withLock { $0[1] }.responses, [])

        // No recipient at all: complete at once.
        server.to("nobody").emitWithAck("poll3", on: group.loops[1]) { result in results.withLock { $0.append(result) } }
        XCTAssertTrue(waitUntil { results.withLock { $0.count } == 3 })
        XCTAssertFalse(results.withLock { $0[2] }.timedOut)
    }

    func testFetchSocketsJoinLeaveAndDisconnect() {
        let server = SocketIOServer()
        let (clients, sids) = setUp(server)
        let fetched = Mutex<[SocketIORemoteSocket]?>(nil)
        server.in("a").fetchSockets { sockets in fetched.withLock { $0 = sockets } }
        XCTAssertTrue(waitUntil { fetched.withLock { $0 != nil } })
        let sockets = fetched.withLock { $0! }
        XCTAssertEqual(Set(sockets.map(\.id)), [sids[0], sids[1]])
        XCTAssertEqual(sockets.first { $0.id == sids[0] }?.rooms, [sids[0], "a", "b"])
        XCTAssertEqual(sockets.first?.handshake.address, "10.0.0.1")
        XCTAssertEqual(sockets.first?.handshake.xdomain, true)

        server.in("c").socketsJoin("d")
        server.to("d").emit("in-d")
        XCTAssertEqual(clients[2].waitFor(2)[1], .text("2[\"in-d\"]"))
        server.sockets.socketsLeave("a")
        let ids = Mutex<Set<SocketID>?>(nil)
        server.in("a").allSockets { set in ids.withLock { $0 = set } }
        XCTAssertEqual(ids.withLock { $0 }, [])

        sockets.first { $0.id == sids[1] }!.emit("remote", 1)
        XCTAssertEqual(clients[1].waitFor(2)[1], .text("2[\"remote\",1]"))

        server.sockets.except("d").disconnectSockets()
        XCTAssertEqual(clients[0].waitFor(2).last, .text("1"))
        XCTAssertEqual(clients[1].waitFor(3).last, .text("1"))
        XCTAssertTrue(waitUntil { server.sockets.socketCount == 1 })
        server.sockets.disconnectSockets(close: true)
        XCTAssertTrue(waitUntil { clients[2].wire.closedByServer })
        XCTAssertFalse(clients[0].wire.closedByServer)
    }

    // MARK: Connection state recovery

    func testStateRecoveryReplaysMissedPacketsAndRestoresRooms() throws {
        var options = SocketIOServerOptions()
        options.connectionStateRecovery = SocketIOStateRecovery()
        let server = SocketIOServer(options: options)
        let log = Log()
        server.sockets.onConnection { socket in
            log.add("connected recovered=\(socket.recovered) rooms=\(socket.rooms.sorted()) data=\(socket.data)")
            if !socket.recovered {
                socket.join("room1")
                socket.data["score"] = 7
            }
        }
        let first = TestClient(server: server, loop: group.loops[0])
        first.send("0")
        let reply = try JSONValue.parse(String(first.waitFor(1)[0].text!.dropFirst()))
        XCTAssertEqual(reply.objectValue?.keys, ["sid", "pid"])
        let sid = reply["sid"]!.stringValue!, pid = reply["pid"]!.stringValue!
        _ = log.wait(for: 1)

        server.to("room1").emit("e", 1)
        let packet = first.waitFor(2)[1].text!
        let args = try JSONValue.parse(String(packet.dropFirst()))
        XCTAssertEqual(args[0], "e")
        XCTAssertEqual(args[1], 1)
        let offset = args[2]!.stringValue!  // the offset goes last

        first.engineClosed("transport close")
        XCTAssertTrue(waitUntil { server.sockets.socketCount == 0 })
        server.emit("missed-everyone", "x")
        server.to("room1").emit("missed-room")
        server.to("other").emit("not-for-me")
        server.volatile.emit("volatile-not-kept")

        let second = TestClient(server: server, loop: group.loops[1])
        second.send("0{\"pid\":\"\(pid)\",\"offset\":\"\(offset)\"}")
        let sent = second.waitFor(3)
        XCTAssertTrue(sent[0].text!.hasPrefix("2[\"missed-everyone\",\"x\",\""), sent[0].description)
        XCTAssertTrue(sent[1].text!.hasPrefix("2[\"missed-room\",\""), sent[1].description)
        XCTAssertEqual(sent[2], .text("0{\"sid\":\"\(sid)\",\"pid\":\"\(pid)\"}"))
        XCTAssertEqual(log.wait(for: 2)[1], "connected recovered=true rooms=\([sid, "room1"].sorted()) data={\"score\":7}")
        second.expectQuiet(after: 3)
        // The restored rooms (joined before the socket was connected again) reach it.
        server.to("room1").emit("back")
        XCTAssertTrue(second.waitFor(4)[3].text!.hasPrefix("2[\"back\",\""), second.wire.sent.description)

        // The session was used: the same pid brings a fresh socket now.
        let third = TestClient(server: server, loop: group.loops[0])
        third.send("0{\"pid\":\"\(pid)\",\"offset\":\"\(offset)\"}")
        let fresh = try JSONValue.parse(String(third.waitFor(1)[0].text!.dropFirst()))
        XCTAssertNotEqual(fresh["sid"]?.stringValue, sid)
        XCTAssertTrue(log.wait(for: 3)[2].hasPrefix("connected recovered=false"))
    }

    func testStateRecoveryExpiresAfterTheWindowAndNotForClientDisconnects() {
        let now = Atomic<UInt64>(1_000_000)
        var options = SocketIOServerOptions()
        options.connectionStateRecovery = SocketIOStateRecovery(maxDisconnectionDurationMs: 1_000)
        options.clockMs = { now.load(ordering: .relaxed) }
        let server = SocketIOServer(options: options)
        let log = Log()
        server.sockets.onConnection { socket in log.add("recovered=\(socket.recovered)") }

        func session(_ client: TestClient) -> (pid: String, offset: String) {
            let reply = try! JSONValue.parse(String(client.waitFor(1)[0].text!.dropFirst()))
            server.emit("tick")
            let tick = try! JSONValue.parse(String(client.waitFor(2)[1].text!.dropFirst()))
            return (reply["pid"]!.stringValue!, tick[1]!.stringValue!)
        }

        let a = TestClient(server: server, loop: group.loops[0])
        a.send("0")
        let (pidA, offsetA) = session(a)
        a.engineClosed("ping timeout")
        XCTAssertTrue(waitUntil { server.sockets.socketCount == 0 })
        now.wrappingAdd(1_500, ordering: .relaxed)  // past the window
        let b = TestClient(server: server, loop: group.loops[1])
        b.send("0{\"pid\":\"\(pidA)\",\"offset\":\"\(offsetA)\"}")
        XCTAssertEqual(log.wait(for: 2)[1], "recovered=false")

        // A client that leaves on purpose keeps nothing.
        let (pidB, offsetB) = session(b)
        b.send("1")
        XCTAssertTrue(waitUntil { server.sockets.socketCount == 0 })
        let c = TestClient(server: server, loop: group.loops[0])
        c.send("0{\"pid\":\"\(pidB)\",\"offset\":\"\(offsetB)\"}")
        XCTAssertEqual(log.wait(for: 3)[2], "recovered=false")
    }
}
