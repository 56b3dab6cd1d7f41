import EventLoop
import GatewayProtocol
import SocketIO
import Synchronization
import TestSupport
import XCTest

final class ServerTests: XCTestCase {
    var group: EventLoopGroup!

    override func setUpWithError() throws {
        group = try EventLoopGroup(count: 2)
        group.start()
    }

    override func tearDown() {
        group.shutdown()
        group = nil
    }

    /// The server of the official protocol test suite: "auth" echo on connection, "message" → "message-back",
    /// "message-with-ack" acknowledged with its own arguments, on `/` and `/custom`.
    private func officialServer(_ options: SocketIOServerOptions = SocketIOServerOptions(), log: Log? = nil) -> SocketIOServer {
        let server = SocketIOServer(options: options)
        for nsp in [server.sockets, server.of("/custom")] {
            nsp.onConnection { socket in
                socket.emit("auth", .object(socket.handshake.auth))
                socket.on("message") { args, _ in socket.emit("message-back", arguments: args) }
                socket.on("message-with-ack") { args, ack in ack?.send(args) }
                socket.onDisconnect { reason in log?.add("\(socket.nsp) \(reason)") }
            }
        }
        return server
    }

    // MARK: The official suite's scenarios

    func testConnectToMainAndCustomNamespacesWithAuth() throws {
        let server = officialServer()
        let client = TestClient(server: server, loop: group.loops[0])
        let sid = client.connect()
        XCTAssertEqual(sid?.count, 15)
        XCTAssertEqual(client.waitFor(2)[1], .text("2[\"auth\",{}]"))
        XCTAssertNotNil(client.connect("/custom", auth: "{\"token\":\"abc\"}"))
        XCTAssertEqual(client.waitFor(4)[3], .text("2/custom,[\"auth\",{\"token\":\"abc\"}]"))

        let other = TestClient(server: server, loop: group.loops[1])
        other.send("0{\"token\":\"123\"}")
        let sent = other.waitFor(2)
        XCTAssertTrue(sent[0].text!.hasPrefix("0{\"sid\":\""), sent[0].description)
        XCTAssertEqual(try JSONValue.parse(String(sent[0].text!.dropFirst())).objectValue?.keys, ["sid"])
        XCTAssertEqual(sent[1], .text("2[\"auth\",{\"token\":\"123\"}]"))
        XCTAssertEqual(server.sockets.socketCount, 2)
        XCTAssertEqual(server.of("/custom").socketCount, 1)
    }

    func testUnknownNamespaceIsRefused() {
        let client = TestClient(server: officialServer(), loop: group.loops[0])
        client.send("0/random")
        XCTAssertEqual(client.waitFor(1), [.text("4/random,{\"message\":\"Invalid namespace\"}")])
        XCTAssertFalse(client.wire.closedByServer)
    }

    func testEventsAcksAndBinaryAttachments() {
        let client = TestClient(server: officialServer(), loop: group.loops[1])
        _ = client.connect()
        client.waitFor(2)
        client.send("2[\"message\",1,\"2\",{\"3\":[true]}]")
        XCTAssertEqual(client.waitFor(3)[2], .text("2[\"message-back\",1,\"2\",{\"3\":[true]}]"))
        client.send("2456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]")
        XCTAssertEqual(client.waitFor(4)[3], .text("3456[1,\"2\",{\"3\":[false]}]"))
        client.send("52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]")
        client.sendBinary([1, 2, 3])
        client.sendBinary([4, 5, 6])
        XCTAssertEqual(Array(client.waitFor(7)[4...]), [
            .text("52-[\"message-back\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"),
            .binary([1, 2, 3]), .binary([4, 5, 6]),
        ])
        client.send("52-789[\"message-with-ack\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]")
        client.sendBinary([1, 2, 3])
        client.sendBinary([4, 5, 6])
        XCTAssertEqual(Array(client.waitFor(10)[7...]), [
            .text("62-789[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"), .binary([1, 2, 3]), .binary([4, 5, 6]),
        ])
    }

    func testMalformedPacketsCloseTheConnectionWithParseError() {
        for bad in ["4abc", "42{}", "42abc[\"message-with-ack\",1,\"2\",{\"3\":[false]}]", "2[\"a\"", "51-[\"a\",{\"_placeholder\":true,\"num\":3}]"] {
            let log = Log()
            let client = TestClient(server: officialServer(log: log), loop: group.loops[0])
            _ = client.connect()
            client.send(bad.replacingOccurrences(of: "42", with: "2"))
            if bad.hasPrefix("51-") { client.sendBinary([1]) }
            XCTAssertEqual(log.wait(for: 1), ["/ parse error"], bad)
            XCTAssertTrue(client.wire.closedByServer, bad)
        }
    }

    func testClientDisconnectFromANamespaceKeepsTheOthers() {
        let log = Log()
        let client = TestClient(server: officialServer(log: log), loop: group.loops[0])
        _ = client.connect()
        _ = client.connect("/custom")
        client.waitFor(4)
        client.send("1/custom")
        client.send("2[\"message\",\"message to main namespace\"]")
        XCTAssertEqual(client.waitFor(5)[4], .text("2[\"message-back\",\"message to main namespace\"]"))
        XCTAssertEqual(log.all, ["/custom client namespace disconnect"])
        // A packet for a namespace never joined closes the connection, as official.
        client.send("2/custom,[\"message\"]")
        XCTAssertEqual(log.wait(for: 2), ["/custom client namespace disconnect", "/ forced server close"])
        XCTAssertTrue(client.wire.closedByServer)
    }

    func testListenerHearsBeforeTheClosuresAndIsDroppedWithItsSocket() {
        let log = Log()
        let listeners = Mutex<[WeakListener]>([])
        let server = SocketIOServer()
        server.sockets.onConnection { socket in
            let listener = RecordingListener(socket: socket, log: log)  // holds its socket, as the gateway's session does
            socket.listener = listener
            listeners.withLock { $0.append(WeakListener(value: listener)) }
            socket.onAny { event, _, _ in log.add("closure \(event)") }
            socket.onDisconnect { reason in log.add("closure \(reason)") }
        }
        let client = TestClient(server: server, loop: group.loops[0])
        _ = client.connect()
        client.send("21[\"hello\",1]")
        XCTAssertEqual(log.wait(for: 2), ["listener hello [1] ack", "closure hello"])
        client.send("1")
        XCTAssertEqual(log.wait(for: 4), ["listener hello [1] ack", "closure hello",
                                          "listener client namespace disconnect", "closure client namespace disconnect"])
        XCTAssertTrue(waitUntil { listeners.withLock { $0.count == 1 && $0[0].value == nil } },
                      "the socket and its listener hold each other until it disconnects, then both go")
    }

    func testTransportCloseReachesEverySocket() {
        let log = Log()
        let server = officialServer(log: log)
        let client = TestClient(server: server, loop: group.loops[1])
        _ = client.connect()
        _ = client.connect("/custom")
        client.waitFor(4)
        client.engineClosed("transport close")
        XCTAssertEqual(Set(log.wait(for: 2)), ["/ transport close", "/custom transport close"])
        XCTAssertTrue(waitUntil { server.sockets.socketCount == 0 && server.clientCount == 0 })
    }

    // MARK: Middleware, timeouts, dynamic namespaces

    func testMiddlewareRefusalSendsConnectErrorWithData() {
        let server = officialServer()
        let admin = server.of("/admin")
        admin.use { socket, next in
            if socket.handshake.auth["token"] == "good" { next() } else {
                next(SocketIOConnectError("not authorized", data: ["code": 403]))
            }
        }
        // An asynchronous middleware, answering from another thread.
        admin.use { socket, next in
            DispatchQueueless.run { next() }
        }
        let connected = Log()
        admin.onConnection { socket in connected.add(socket.id) }
        let client = TestClient(server: server, loop: group.loops[0])
        client.send("0/admin,{\"token\":\"bad\"}")
        XCTAssertEqual(client.waitFor(1), [.text("4/admin,{\"message\":\"not authorized\",\"data\":{\"code\":403}}")])
        XCTAssertNotNil(client.connect("/admin", auth: "{\"token\":\"good\"}"))
        XCTAssertEqual(connected.wait(for: 1).count, 1)
        XCTAssertEqual(admin.socketCount, 1)
    }

    func testConnectTimeoutClosesAnIdleConnection() {
        var options = SocketIOServerOptions()
        options.connectTimeoutMs = 50
        let server = officialServer(options)
        let idle = TestClient(server: server, loop: group.loops[0])
        let joined = TestClient(server: server, loop: group.loops[1])
        _ = joined.connect()
        XCTAssertTrue(waitUntil { idle.wire.closedByServer })
        usleep(100_000)
        XCTAssertFalse(joined.wire.closedByServer)
    }

    func testDynamicNamespacesByPredicate() {
        let server = officialServer()
        let workouts = server.of(matching: { name, _ in name.hasPrefix("/workout-") })
        let log = Log()
        workouts.onConnection { socket in log.add(socket.nsp) }
        let client = TestClient(server: server, loop: group.loops[0])
        XCTAssertNotNil(client.connect("/workout-42"))
        XCTAssertEqual(log.wait(for: 1), ["/workout-42"])
        XCTAssertEqual(workouts.children.map(\.name), ["/workout-42"])
        client.send("0/other")
        XCTAssertEqual(client.waitFor(2)[1], .text("4/other,{\"message\":\"Invalid namespace\"}"))
        workouts.emit("tick", 1)
        XCTAssertEqual(client.waitFor(3)[2], .text("2/workout-42,[\"tick\",1]"))
    }

    func testServerCloseDisconnectsWithServerShuttingDown() {
        let log = Log()
        let server = officialServer(log: log)
        let a = TestClient(server: server, loop: group.loops[0])
        let b = TestClient(server: server, loop: group.loops[1])
        _ = a.connect()
        _ = b.connect("/custom")
        server.close()
        XCTAssertEqual(Set(log.wait(for: 2)), ["/ server shutting down", "/custom server shutting down"])
        XCTAssertTrue(waitUntil { a.wire.closedByServer && b.wire.closedByServer })
    }

    // MARK: Acks from the server

    func testSocketEmitWithAckAndTimeout() {
        let server = SocketIOServer()
        let results = Log()
        server.sockets.onConnection { socket in
            socket.emitWithAck("question", arguments: [1], timeoutMs: 5_000) { result in results.add("first \(result)") }
            socket.emitWithAck("ignored", timeoutMs: 30) { result in results.add("second \(result)") }
        }
        let client = TestClient(server: server, loop: group.loops[0])
        _ = client.connect()
        let sent = client.waitFor(3)
        XCTAssertEqual(sent[1], .text("20[\"question\",1]"))
        XCTAssertEqual(sent[2], .text("21[\"ignored\"]"))
        XCTAssertEqual(results.wait(for: 1), ["second timeout"])
        client.send("30[\"answer\",{\"x\":1}]")
        client.send("31[\"late\"]")  // its timeout passed: ignored
        XCTAssertEqual(results.wait(for: 2)[1], "first ack(GatewayProtocol.EventArguments(values: [\"answer\", {\"x\":1}], attachments: []))")
        usleep(50_000)
        XCTAssertEqual(results.all.count, 2)
    }

    func testVolatileEmitIsDroppedWhenNotWritable() {
        let server = SocketIOServer()
        let client = TestClient(server: server, loop: group.loops[0])
        _ = client.connect()
        client.setWritable(false)
        server.sockets.volatile.emit("v", 1)
        server.sockets.emit("n", 2)
        XCTAssertEqual(client.waitFor(2)[1], .text("2[\"n\",2]"))
        client.expectQuiet(after: 2)
    }
}

/// Runs a closure on a fresh thread (a stand-in for a database call answering a middleware).
enum DispatchQueueless {
    static func run(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            usleep(5_000)
            box.body()
            return nil
        }, box.toOpaque())
        pthread_detach(thread)
    }
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}

private final class RecordingListener: SocketIOSocketListener, @unchecked Sendable {
    let socket: SocketIOSocket
    let log: Log
    init(socket: SocketIOSocket, log: Log) {
        self.socket = socket
        self.log = log
    }
    func socket(_ socket: SocketIOSocket, received event: String, _ arguments: SocketIOArguments, ack: SocketIOAck?) {
        log.add("listener \(event) [\(arguments.values.map(\.description).joined(separator: ","))] \(ack == nil ? "" : "ack")")
    }
    func socket(_ socket: SocketIOSocket, disconnected reason: String) { log.add("listener \(reason)") }
}

private struct WeakListener: @unchecked Sendable {
    weak var value: RecordingListener?
}
