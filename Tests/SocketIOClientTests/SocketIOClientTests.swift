import EngineIO
import EventLoop
import Foundation
import GatewayProtocol
import SocketIO
import SocketIOClient
import Synchronization
import TestSupport
import XCTest

final class SocketIOClientTests: XCTestCase {
    var clientGroup: EventLoopGroup!
    var servers: [SocketIOTestServer] = []
    var box: ClientBox!
    let log = EventLog()

    override func setUpWithError() throws {
        clientGroup = try EventLoopGroup(count: 1)
        clientGroup.start()
        box = ClientBox(loop: clientGroup.loops[0])
    }

    override func tearDown() {
        let done = DispatchSemaphore(value: 0)
        box.run { box in
            box.client?.close()
            done.signal()
        }
        done.wait()
        usleep(20_000)
        clientGroup.shutdown()
        for server in servers { server.stop() }
    }

    /// Pings every 150 ms, so that every test also proves the client answers them (a silent client is dropped in 300 ms).
    static let fastPings = EngineIOConfiguration(pingIntervalMs: 150, pingTimeoutMs: 150)

    /// `/`: `welcome` with the CONNECT auth, `echo` acked with its arguments, `ask` asks the client `question` (with an ack)
    /// and reports the answer as `answer`, `binary` sends bytes back, `bye` disconnects the socket, `join` joins a room.
    /// `/admin`: refused unless auth.token is "secret".
    func startServer(options: SocketIOServerOptions = SocketIOServerOptions(), tls: TLSReloadableContext? = nil) throws -> SocketIOTestServer {
        let fixture = try SocketIOTestServer(engineConfiguration: Self.fastPings, options: options, tls: tls) { server in
            server.sockets.onConnection { socket in
                _ = socket.emit("welcome", .object(socket.handshake.auth))
                socket.on("echo") { arguments, ack in ack?.send(arguments) }
                socket.on("ask") { arguments, _ in
                    socket.emitWithAck("question", arguments: arguments, timeoutMs: 2000) { result in
                        if case .ack(let answer) = result { _ = socket.emit("answer", arguments: answer) }
                    }
                }
                socket.on("binary") { _, _ in
                    var arguments = SocketIOArguments(["bytes"])
                    arguments.appendBinary([0xCA, 0xFE])
                    _ = socket.emit("bin", arguments: arguments)
                }
                socket.on("bye") { _, _ in socket.disconnect() }
                socket.on("join") { arguments, ack in
                    socket.join(arguments.first?.stringValue ?? "")
                    ack?.send([])
                }
            }
            let admin = server.of("/admin")
            admin.use { socket, next in
                if socket.handshake.auth["token"]?.stringValue == "secret" {
                    next()
                } else {
                    next(SocketIOConnectError("not authorized", data: ["code": 401]))
                }
            }
            admin.onConnection { socket in socket.on("echo") { arguments, ack in ack?.send(arguments) } }
        }
        servers.append(fixture)
        return fixture
    }

    /// Connects namespace `nsp` and logs what it sees: `connect`, `connect_error:…`, `disconnect:…`, `event:NAME:ARGS`.
    func connect(_ url: String, transports: [EngineIOClient.Transport], nsp: String = "/", auth: JSONObject? = nil,
                 caFile: String? = nil, serverName: String? = nil, reconnectDelayMs: UInt64? = nil) throws {
        var options = try SocketIOClient.Options(url: url, transports: transports, caFile: caFile)
        options.engine.endpoint.serverName = serverName
        options.reconnectDelayMs = reconnectDelayMs
        let log = self.log
        box.run { [options] box in
            let client = SocketIOClient(options: options, loop: box.loop)
            box.client = client
            let socket = client.socket(nsp, auth: auth)
            box.sockets[nsp] = socket
            socket.onConnect = { log.add("connect\(socket.recovered ? ":recovered" : "")") }
            socket.onConnectError = { error in log.add("connect_error:\(error)") }
            socket.onDisconnect = { reason in log.add("disconnect:\(reason)") }
            socket.onAny { event, arguments, ack in
                log.add("event:\(event):\(describe(arguments))")
                if event == "question" {
                    var answer = arguments
                    answer.append("ok")
                    ack?.send(answer)
                }
            }
            socket.connect()
        }
    }

    func emitWithAck(_ event: String, _ arguments: EventArguments, nsp: String = "/", timeoutMs: UInt64? = nil) {
        let log = self.log
        box.run { box in
            box.sockets[nsp]!.emitWithAck(event, arguments: arguments, timeoutMs: timeoutMs) { result in
                switch result {
                case .success(let answer): log.add("ack:\(event):\(describe(answer))")
                case .failure(let error): log.add("ack-failed:\(event):\(error)")
                }
            }
        }
    }

    func emit(_ event: String, _ arguments: EventArguments = []) {
        box.run { box in box.sockets["/"]!.emit(event, arguments: arguments) }
    }

    func transport() -> EngineIOClient.Transport? {
        let result = Mutex<EngineIOClient.Transport?>(nil)
        let done = DispatchSemaphore(value: 0)
        box.run { box in
            result.withLock { $0 = box.client?.engine?.transport }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }

    /// The round every transport must pass: auth delivered, ack both ways, binary both ways, pings answered.
    func exerciseEverything(_ url: String, transports: [EngineIOClient.Transport], caFile: String? = nil,
                            serverName: String? = nil) throws {
        try connect(url, transports: transports, auth: ["token": "t1"], caFile: caFile, serverName: serverName)
        log.wait(for: "connect")
        XCTAssertEqual(log.wait(for: "event:welcome"), "event:welcome:{\"token\":\"t1\"}")
        var arguments: EventArguments = ["a", 1]
        arguments.appendBinary([0xFF, 0x01])
        emitWithAck("echo", arguments)
        XCTAssertEqual(log.wait(for: "ack:echo"), "ack:echo:\"a\",1,<ff1>")
        emit("ask", ["q"])
        XCTAssertEqual(log.wait(for: "event:answer"), "event:answer:\"q\",\"ok\"")
        emit("binary")
        XCTAssertEqual(log.wait(for: "event:bin"), "event:bin:\"bytes\",<cafe>")
        usleep(700_000)  // several ping intervals: still connected only if every ping was answered
        emitWithAck("echo", ["late"])
        XCTAssertEqual(log.wait(for: "ack:echo:\"late\""), "ack:echo:\"late\"")
        XCTAssertFalse(log.all.contains { $0.hasPrefix("disconnect") }, "\(log.all)")
    }

    func testWebSocket() throws {
        let server = try startServer()
        try exerciseEverything("ws://127.0.0.1:\(server.port)", transports: [.websocket])
        XCTAssertEqual(transport(), .websocket)
    }

    func testPolling() throws {
        let server = try startServer()
        try exerciseEverything("http://127.0.0.1:\(server.port)", transports: [.polling])
        XCTAssertEqual(transport(), .polling)
    }

    func testPollingUpgradesToWebSocket() throws {
        let server = try startServer()
        try exerciseEverything("http://127.0.0.1:\(server.port)", transports: [.polling, .websocket])
        XCTAssertEqual(transport(), .websocket)
    }

    func tlsServer() throws -> (SocketIOTestServer, String) {
        let dir = try TestCertificates.makeTemporaryDirectory()
        let pair = try TestCertificates.make(commonName: "localhost", dnsNames: ["localhost"], in: dir)
        let context = try TLSReloadableContext(configuration: TLSServerConfiguration(certificates: [pair]))
        return (try startServer(tls: context), pair.certificatePath)
    }

    func testSecureWebSocketVerifiesTheServer() throws {
        let (server, ca) = try tlsServer()
        try exerciseEverything("wss://127.0.0.1:\(server.port)", transports: [.websocket], caFile: ca, serverName: "localhost")
    }

    func testSecurePollingWithUpgrade() throws {
        let (server, ca) = try tlsServer()
        try exerciseEverything("https://127.0.0.1:\(server.port)", transports: [.polling, .websocket], caFile: ca,
                               serverName: "localhost")
        XCTAssertEqual(transport(), .websocket)
    }

    func testUntrustedCertificateIsRefused() throws {
        let (server, _) = try tlsServer()
        let otherDir = try TestCertificates.makeTemporaryDirectory()
        let stranger = try TestCertificates.make(commonName: "localhost", dnsNames: ["localhost"], in: otherDir)
        try connect("wss://127.0.0.1:\(server.port)", transports: [.websocket], caFile: stranger.certificatePath,
                    serverName: "localhost")
        let refusal = log.wait(for: "connect_error") ?? ""
        XCTAssertTrue(refusal.hasPrefix("connect_error:cannot open the Engine.IO session: transport error"), refusal)
        XCTAssertTrue(refusal.contains("certificate verify failed"), refusal)
        XCTAssertFalse(log.all.contains("connect"))
    }

    func testNamespaceMiddlewareRefusalIsReported() throws {
        let server = try startServer()
        try connect("ws://127.0.0.1:\(server.port)", transports: [.websocket], nsp: "/admin", auth: ["token": "wrong"])
        XCTAssertEqual(log.wait(for: "connect_error"),
                       "connect_error:namespace refused the connection: not authorized {\"code\":401}")
    }

    func testNamespaceWithGoodAuth() throws {
        let server = try startServer()
        try connect("ws://127.0.0.1:\(server.port)", transports: [.websocket], nsp: "/admin", auth: ["token": "secret"])
        log.wait(for: "connect")
        emitWithAck("echo", ["in admin"], nsp: "/admin")
        XCTAssertEqual(log.wait(for: "ack:echo"), "ack:echo:\"in admin\"")
    }

    func testAckTimeoutAndServerDisconnectReason() throws {
        let server = try startServer()
        try connect("ws://127.0.0.1:\(server.port)", transports: [.websocket])
        log.wait(for: "connect")
        emitWithAck("nobody-answers", [], timeoutMs: 100)
        XCTAssertEqual(log.wait(for: "ack-failed"), "ack-failed:nobody-answers:no acknowledgement for 'nobody-answers' within 100 ms")
        emit("bye")
        XCTAssertEqual(log.wait(for: "disconnect"), "disconnect:io server disconnect")
    }

    func testConnectionStateRecoveryAfterATransportLoss() throws {
        var options = SocketIOServerOptions()
        options.connectionStateRecovery = SocketIOStateRecovery()
        let server = try startServer(options: options)
        try connect("ws://127.0.0.1:\(server.port)", transports: [.websocket], reconnectDelayMs: 200)
        log.wait(for: "connect")
        emitWithAck("join", ["room1"])
        log.wait(for: "ack:join")
        _ = server.server.to("room1").emit("before", "1")
        log.wait(for: "event:before")
        box.run { box in box.client?.dropTransport() }
        XCTAssertEqual(log.wait(for: "disconnect"), "disconnect:transport close")
        usleep(50_000)  // the server notices the loss before the missed event is sent
        _ = server.server.to("room1").emit("missed", "2")
        XCTAssertNotNil(log.wait(for: "connect:recovered"))
        XCTAssertNotNil(log.wait(for: "event:missed:\"2\""))
    }

    /// The WebSocket handed over stays connected on the server: the caller speaks Engine.IO on it (answers pings, emits,
    /// gets acks); the client lets go quietly (acks owed fail, no disconnect callback) and hands over nothing on polling.
    func testHandOverWebSocket() throws {
        let server = try startServer()
        try connect("ws://127.0.0.1:\(server.port)", transports: [.websocket])
        log.wait(for: "event:welcome")
        emitWithAck("nobody-answers", [], timeoutMs: 0)
        let log = self.log
        box.run { box in
            guard let session = box.client?.handOverWebSocket() else { return log.add("no session") }
            log.add("handed over, engine \(box.client?.engine == nil ? "gone" : "kept"), connected \(box.sockets["/"]!.connected)")
            log.add("again: \(box.client?.handOverWebSocket() == nil ? "nil" : "a session")")
            session.onTextBytes = { bytes in
                let text = String(decoding: bytes, as: UTF8.self)
                if text == "2" { _ = session.sendText("3") } else { log.add("raw:\(text)") }
            }
            _ = session.sendText(#"427["echo","raw"]"#)
        }
        XCTAssertEqual(log.wait(for: "ack-failed"), "ack-failed:nobody-answers:\(SocketIOClientError.disconnected("handed over"))")
        XCTAssertEqual(log.wait(for: "handed over"), "handed over, engine gone, connected false")
        XCTAssertEqual(log.wait(for: "again"), "again: nil")
        XCTAssertEqual(log.wait(for: "raw:"), #"raw:437["raw"]"#)
        usleep(700_000)  // several ping intervals: the server keeps the session only if the new owner answers
        box.run { box in box.client?.close() }
        usleep(100_000)
        XCTAssertEqual(server.server.of("/").socketCount, 1, "\(log.all)")
        XCTAssertFalse(log.all.contains { $0.hasPrefix("disconnect") }, "\(log.all)")
    }

    func testNoHandOverOnPolling() throws {
        let server = try startServer()
        try connect("http://127.0.0.1:\(server.port)", transports: [.polling])
        log.wait(for: "connect")
        let log = self.log
        box.run { box in log.add("hand-over: \(box.client?.handOverWebSocket() == nil ? "nil" : "a session")") }
        XCTAssertEqual(log.wait(for: "hand-over"), "hand-over: nil")
        emitWithAck("echo", ["still here"])
        XCTAssertEqual(log.wait(for: "ack:echo"), #"ack:echo:"still here""#)
    }

    /// A server that accepts the TCP connection and never answers: the session gives up at `openTimeoutMs`, not before.
    func testOpenTimeoutAtItsEdge() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        XCTAssertEqual(listen(fd, 8), 0)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        var options = try SocketIOClient.Options(url: "ws://127.0.0.1:\(port)")
        options.engine.openTimeoutMs = 300
        let log = self.log
        let started = Date()
        box.run { [options] box in
            let client = SocketIOClient(options: options, loop: box.loop)
            box.client = client
            let socket = client.socket()
            socket.onConnectError = { error in log.add("connect_error:\(error)") }
            socket.connect()
        }
        XCTAssertEqual(log.wait(for: "connect_error"),
                       "connect_error:cannot open the Engine.IO session: no open packet within 300 ms")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(elapsed, 0.3)
        XCTAssertLessThan(elapsed, 1.5)
    }
}
