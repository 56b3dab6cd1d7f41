@testable import EventLoop
import Glibc
import HTTP
import Synchronization
import TestSupport
@testable import WebSocket
import XCTest

// MARK: - Fixtures shared by the integration and conformance tests

/// Carries a loop-confined object to its loop through `execute`; only unwrapped there.
struct LoopBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

enum Received: Equatable, Sendable {
    case text(String)
    case binary([UInt8])
}

/// Echoes text and binary messages; the endpoint behaviour under test everywhere.
@Sendable func echo(_ session: WebSocketSession) {
    session.onTextBytes = { session.sendText(utf8: $0) }
    session.onBinary = { session.sendBinary($0) }
}

/// An HTTP server with a WebSocket server on one loop, on a loopback port.
final class WebSocketTestServer {
    let group: EventLoopGroup
    let http: HTTPServer
    let ws: WebSocketServer
    let listener: Listener
    var port: Int { listener.port }

    init(limits: ConnectionLimits = ConnectionLimits(), configure: (WebSocketServer, HTTPServer) -> Void = { _, _ in }) throws {
        group = try EventLoopGroup(count: 1)
        http = HTTPServer(group: group)
        ws = WebSocketServer(group: group)
        Self.standardEndpoints(ws)
        configure(ws, http)
        ws.install(on: http)
        listener = try http.listen(host: "127.0.0.1", port: 0, options: ListenerOptions(connectionLimits: limits))
        group.start()
    }

    static let twoMiB = 2 * 1024 * 1024

    static func standardEndpoints(_ ws: WebSocketServer) {
        ws.register(path: "/echo", configuration: WebSocketConfiguration(maxMessageBytes: twoMiB), onOpen: echo)
        ws.register(path: "/deflate", configuration: WebSocketConfiguration(
            maxMessageBytes: twoMiB, compression: PerMessageDeflateConfiguration()), onOpen: echo)
        var takeover = PerMessageDeflateConfiguration()
        takeover.serverNoContextTakeover = false
        ws.register(path: "/deflate-takeover", configuration: WebSocketConfiguration(
            maxMessageBytes: twoMiB, compression: takeover), onOpen: echo)
        ws.register(path: "/small", configuration: WebSocketConfiguration(maxMessageBytes: 1000), onOpen: echo)
        ws.register(path: "/small-deflate", configuration: WebSocketConfiguration(
            maxMessageBytes: 65_536, compression: PerMessageDeflateConfiguration()), onOpen: echo)
        ws.register(path: "/origin", allowOrigin: { $0 == "https://app.fitmate.test" }, onOpen: echo)
        ws.register(path: "/subprotocol", selectSubprotocol: { $0.contains("fitmate.v2") ? "fitmate.v2" : nil }, onOpen: echo)
    }

    func stop() {
        listener.stop()
        group.shutdown()
    }
}

/// Our own client, driven from the test thread: every session call hops to the client loop.
final class TestClient: @unchecked Sendable {
    let loop: EventLoop
    private let session = Mutex<LoopBox<WebSocketSession>?>(nil)
    let received = Mutex<[Received]>([])
    let closeInfo = Mutex<WebSocketCloseInfo?>(nil)
    let pongs = Mutex<[[UInt8]]>([])

    private init(loop: EventLoop) { self.loop = loop }

    static func connect(port: Int, path: String, on loop: EventLoop, configuration: WebSocketConfiguration =
                        WebSocketConfiguration(maxMessageBytes: WebSocketTestServer.twoMiB),
                        subprotocols: [String] = [], headers: HTTPHeaders = HTTPHeaders()) throws -> TestClient {
        let client = TestClient(loop: loop)
        let outcome = Mutex<Result<Void, WebSocketClientError>?>(nil)
        loop.execute {
            WebSocketClient.connect(host: "127.0.0.1", port: port, path: path, configuration: configuration,
                                    subprotocols: subprotocols, headers: headers, on: loop) { result in
                switch result {
                case .success(let session):
                    session.onText = { text in client.received.withLock { $0.append(.text(text)) } }
                    session.onBinary = { bytes in client.received.withLock { $0.append(.binary(bytes)) } }
                    session.onPong = { payload in client.pongs.withLock { $0.append(payload) } }
                    session.onClose = { info in client.closeInfo.withLock { $0 = info } }
                    client.session.withLock { $0 = LoopBox(session) }
                    outcome.withLock { $0 = .success(()) }
                case .failure(let error):
                    outcome.withLock { $0 = .failure(error) }
                }
            }
        }
        guard waitUntil(timeoutSeconds: 5, { outcome.withLock { $0 != nil } }) else { throw TestError("connect timed out") }
        if case .failure(let error) = outcome.withLock({ $0! }) { throw error }
        return client
    }

    /// Runs `body` with the session on its loop and waits for it.
    func onLoop<R: Sendable>(_ body: @escaping @Sendable (WebSocketSession) -> R) -> R {
        let box = session.withLock { $0 }!
        let result = Mutex<R?>(nil)
        loop.execute { let r = body(box.value); result.withLock { $0 = r } }
        _ = waitUntil(timeoutSeconds: 5) { result.withLock { $0 != nil } }
        return result.withLock { $0! }
    }

    func sendText(_ text: String) { _ = onLoop { $0.sendText(text) } }
    func sendBinary(_ bytes: [UInt8]) { _ = onLoop { $0.sendBinary(bytes) } }

    /// Waits for the next message.
    func next(timeoutSeconds: Double = 5) -> Received? {
        guard waitUntil(timeoutSeconds: timeoutSeconds, { received.withLock { !$0.isEmpty } }) else { return nil }
        return received.withLock { $0.removeFirst() }
    }

    func waitClosed(timeoutSeconds: Double = 5) -> WebSocketCloseInfo? {
        _ = waitUntil(timeoutSeconds: timeoutSeconds) { closeInfo.withLock { $0 != nil } }
        return closeInfo.withLock { $0 }
    }
}

// MARK: - Tests with our client

final class WebSocketIntegrationTests: XCTestCase {
    var server: WebSocketTestServer!
    var clientGroup: EventLoopGroup!

    override func setUpWithError() throws {
        server = try WebSocketTestServer()
        clientGroup = try EventLoopGroup(count: 1)
        clientGroup.start()
    }

    override func tearDown() {
        server.stop()
        clientGroup.shutdown()
    }

    private var clientLoop: EventLoop { clientGroup.loops[0] }

    static let sizes = [0, 125, 126, 65_535, 65_536, 1 << 20]

    func testTextAndBinaryEchoAtFrameLengthBoundaries() throws {
        let client = try TestClient.connect(port: server.port, path: "/echo", on: clientLoop)
        XCTAssertNil(client.onLoop { $0.negotiatedDeflate }, "no compression offered, none agreed")
        for size in Self.sizes {
            let text = String(decoding: jsonLike(size), as: UTF8.self)
            client.sendText(text)
            XCTAssertEqual(client.next(), .text(text), "text of \(size) bytes")
            let binary = pseudoRandomBytes(size, seed: UInt64(size) + 1)
            client.sendBinary(binary)
            XCTAssertEqual(client.next(), .binary(binary), "binary of \(size) bytes")
        }
    }

    func testCompressedEchoWithoutServerContextTakeover() throws {
        try compressedRoundTrips(path: "/deflate", clientConfig: PerMessageDeflateConfiguration(),
                                 expectServerNoTakeover: true, expectClientNoTakeover: false)
    }

    func testCompressedEchoWithContextTakeoverBothWays() throws {
        var offer = PerMessageDeflateConfiguration()
        offer.serverNoContextTakeover = false  // do not ask the server to drop its context
        try compressedRoundTrips(path: "/deflate-takeover", clientConfig: offer,
                                 expectServerNoTakeover: false, expectClientNoTakeover: false)
    }

    func testCompressedEchoWithoutContextTakeoverEitherWay() throws {
        var offer = PerMessageDeflateConfiguration()
        offer.clientNoContextTakeover = true
        try compressedRoundTrips(path: "/deflate-takeover", clientConfig: offer,
                                 expectServerNoTakeover: true, expectClientNoTakeover: true)
    }

    private func compressedRoundTrips(path: String, clientConfig: PerMessageDeflateConfiguration,
                                      expectServerNoTakeover: Bool, expectClientNoTakeover: Bool) throws {
        let configuration = WebSocketConfiguration(maxMessageBytes: WebSocketTestServer.twoMiB, compression: clientConfig)
        let client = try TestClient.connect(port: server.port, path: path, on: clientLoop, configuration: configuration)
        let negotiated = client.onLoop { $0.negotiatedDeflate }
        XCTAssertNotNil(negotiated)
        XCTAssertEqual(negotiated?.serverNoContextTakeover, expectServerNoTakeover)
        XCTAssertEqual(negotiated?.clientNoContextTakeover, expectClientNoTakeover)
        // Several similar messages in a row, so that a context (kept or wrongly dropped) matters.
        for i in 0..<6 {
            let text = String(decoding: jsonLike(2000 + i * 3000), as: UTF8.self)
            client.sendText(text)
            XCTAssertEqual(client.next(), .text(text), "text \(i)")
            let binary = jsonLike(1500 + i * 700) + pseudoRandomBytes(300, seed: UInt64(i + 7))
            client.sendBinary(binary)
            XCTAssertEqual(client.next(), .binary(binary), "binary \(i)")
        }
        let big = jsonLike(1 << 20)
        client.sendBinary(big)
        XCTAssertEqual(client.next(), .binary(big))
        client.sendText("short")
        XCTAssertEqual(client.next(), .text("short"))
    }

    func testClientCloseGetsCodeEchoedAndBothSidesReportIt() throws {
        let serverClose = Mutex<WebSocketCloseInfo?>(nil)
        server.stop()
        server = try WebSocketTestServer { ws, _ in
            ws.register(path: "/observed") { session in
                echo(session)
                session.onClose = { info in serverClose.withLock { $0 = info } }
            }
        }
        let client = try TestClient.connect(port: server.port, path: "/observed", on: clientLoop)
        client.sendText("hi")
        XCTAssertEqual(client.next(), .text("hi"))
        client.onLoop { $0.close(code: 4001, reason: "done") }
        XCTAssertEqual(client.waitClosed(), WebSocketCloseInfo(code: 4001, reason: "", wasClean: true))
        XCTAssertTrue(waitUntil { serverClose.withLock { $0 != nil } })
        XCTAssertEqual(serverClose.withLock { $0 }, WebSocketCloseInfo(code: 4001, reason: "done", wasClean: true))
        XCTAssertTrue(waitUntil { self.server.ws.openSessionCount == 0 })
    }

    func testPingFromClientGetsPongWithSamePayload() throws {
        let client = try TestClient.connect(port: server.port, path: "/echo", on: clientLoop)
        _ = client.onLoop { $0.ping(Array("are you there".utf8)) }
        XCTAssertTrue(waitUntil { client.pongs.withLock { !$0.isEmpty } })
        XCTAssertEqual(client.pongs.withLock { $0 }, [Array("are you there".utf8)])
    }

    func testSubprotocolIsSelected() throws {
        let client = try TestClient.connect(port: server.port, path: "/subprotocol", on: clientLoop,
                                            subprotocols: ["fitmate.v1", "fitmate.v2"])
        XCTAssertEqual(client.onLoop { $0.subprotocol }, "fitmate.v2")
        let none = try TestClient.connect(port: server.port, path: "/subprotocol", on: clientLoop, subprotocols: ["other"])
        XCTAssertNil(none.onLoop { $0.subprotocol })
    }

    func testClientReportsRefusals() throws {
        XCTAssertThrowsError(try TestClient.connect(port: server.port, path: "/nowhere", on: clientLoop)) { error in
            XCTAssertEqual(error as? WebSocketClientError, .handshake(.unexpectedStatus(404)))
        }
        XCTAssertThrowsError(try TestClient.connect(port: server.port, path: "/origin", on: clientLoop,
                                                    headers: ["Origin": "https://evil.test"])) { error in
            XCTAssertEqual(error as? WebSocketClientError, .handshake(.unexpectedStatus(403)))
        }
        let allowed = try TestClient.connect(port: server.port, path: "/origin", on: clientLoop,
                                             headers: ["Origin": "https://app.fitmate.test"])
        allowed.sendText("ok")
        XCTAssertEqual(allowed.next(), .text("ok"))
    }

    func testClientRejectsWrongAcceptValue() throws {
        server.stop()
        server = try WebSocketTestServer { _, http in
            // A server that answers 101 with a made-up accept value.
            http.upgradeHandler = { request, connection, _ in
                guard request.path == "/liar" else { return false }
                connection.write(Array(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                        + "Sec-WebSocket-Accept: c29tZXRoaW5nIGVsc2U=\r\n\r\n").utf8))
                return true
            }
        }
        XCTAssertThrowsError(try TestClient.connect(port: server.port, path: "/liar", on: clientLoop)) { error in
            XCTAssertEqual(error as? WebSocketClientError, .handshake(.badAccept))
        }
    }

    func testConnectToClosedPortFails() throws {
        let probe = try Listener(host: "127.0.0.1", port: 0, options: ListenerOptions(), counter: ConnectionCounter(limit: 1))
        let port = probe.port
        probe.stop()
        XCTAssertThrowsError(try TestClient.connect(port: port, path: "/", on: clientLoop)) { error in
            guard case .connectFailed = error as? WebSocketClientError else { return XCTFail("got \(error)") }
        }
    }

    /// A prepared message goes out as one shared buffer to every session with the same compression parameters.
    func testPreparedMessageSharesOneBufferAcrossSessions() throws {
        let sessions = LoopBox(SessionList())
        server.stop()
        server = try WebSocketTestServer { ws, _ in
            ws.register(path: "/plain") { sessions.value.all.append($0) }
            ws.register(path: "/compressed", configuration: WebSocketConfiguration(
                compression: PerMessageDeflateConfiguration())) { sessions.value.all.append($0) }
        }
        let compressing = WebSocketConfiguration(compression: PerMessageDeflateConfiguration())
        let clients = [
            try TestClient.connect(port: server.port, path: "/plain", on: clientLoop),
            try TestClient.connect(port: server.port, path: "/plain", on: clientLoop),
            try TestClient.connect(port: server.port, path: "/compressed", on: clientLoop, configuration: compressing),
            try TestClient.connect(port: server.port, path: "/compressed", on: clientLoop, configuration: compressing),
        ]
        let payload = jsonLike(8192)
        let prepared = PreparedWebSocketMessage(opcode: .text, payload: payload)
        let addresses = Mutex<[Int]>([])
        let serverLoop = server.group.loops[0]
        serverLoop.execute {
            // Sessions in connection order: sort by whether they compress, then send and look at the queued chunk.
            let ordered = sessions.value.all.sorted { ($0.negotiatedDeflate == nil ? 0 : 1) < ($1.negotiatedDeflate == nil ? 0 : 1) }
            var seen: [Int] = []
            for session in ordered {
                session.send(prepared)
                let chunk = session.connection.pending.last!
                seen.append(chunk.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) })
            }
            addresses.withLock { $0 = seen }
        }
        XCTAssertTrue(waitUntil { addresses.withLock { $0.count == 4 } })
        let a = addresses.withLock { $0 }
        XCTAssertEqual(a[0], a[1], "uncompressed sessions write the same buffer")
        XCTAssertEqual(a[2], a[3], "sessions with the same deflate parameters write the same buffer")
        XCTAssertNotEqual(a[0], a[2])
        for client in clients { XCTAssertEqual(client.next(), .text(String(decoding: payload, as: UTF8.self))) }
    }

    func testShutdownClosesSessionsWithGoingAway() throws {
        let client = try TestClient.connect(port: server.port, path: "/echo", on: clientLoop)
        let done = Atomic<Bool>(false)
        server.ws.shutdown(deadlineMs: 2000) { done.store(true, ordering: .relaxed) }
        XCTAssertEqual(client.waitClosed()?.code, WebSocketCloseCode.goingAway)
        XCTAssertTrue(waitUntil { done.load(ordering: .relaxed) })
    }
}

final class SessionList {
    var all: [WebSocketSession] = []
}
