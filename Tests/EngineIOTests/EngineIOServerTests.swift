@testable import EngineIO
import EventLoop
import Foundation
import HTTP
import Synchronization
import TestSupport
import XCTest

final class EngineIOServerTests: XCTestCase {
    var server: EngineIOTestServer!

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func start(_ configuration: EngineIOConfiguration = EngineIOConfiguration(), echo: Bool = true,
                       cors: CORSPolicy? = nil,
                       allowRequest: (@Sendable (HTTPRequestHead) -> EngineIOError?)? = nil) throws -> Int {
        server = try EngineIOTestServer(configuration: configuration, echo: echo, cors: cors, allowRequest: allowRequest)
        return server.port
    }

    private func poll(_ port: Int, _ sid: String) throws -> TestResponse {
        try TestHTTP.request(port, "GET", "/socket.io/?EIO=4&transport=polling&sid=\(sid)")
    }

    private func post(_ port: Int, _ sid: String, _ body: String, headers: [(String, String)] = []) throws -> TestResponse {
        try TestHTTP.request(port, "POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: body, headers: headers)
    }

    private func waitForClose(_ sid: String) -> String? {
        _ = waitUntil { self.server.recorder.closeReason(sid) != nil }
        return server.recorder.closeReason(sid)
    }

    // MARK: Handshakes

    func testPollingHandshake() throws {
        let port = try start()
        let response = try TestHTTP.request(port, "GET", "/socket.io/?EIO=4&transport=polling")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; charset=UTF-8")
        XCTAssertEqual(response.header("Cache-Control"), "no-store")
        let sid = try sid(fromOpenPacket: response.text)
        XCTAssertEqual(sid.count, 15)
        XCTAssertEqual(response.text,
                       #"0{"sid":"\#(sid)","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
        XCTAssertTrue(waitUntil { self.server.engine.clientsCount == 1 })
    }

    func testSessionKeepsItsHandshakeRequestUnlessTurnedOff() throws {
        for keeps in [true, false] {
            let port = try start(EngineIOConfiguration(keepsHandshakeRequest: keeps))
            let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket&room=a")
            let sid = try sid(fromOpenPacket: try ws.receiveText())
            XCTAssertTrue(waitUntil { self.server.recorder.sockets.withLock { $0[sid] != nil } })
            let seen = Mutex<(host: String?, url: String, query: [String: String], address: String)?>(nil)
            server.recorder.withSocket(sid) { socket in
                seen.withLock { $0 = (socket.handshake.headers["Host"], socket.handshake.url, socket.handshake.query,
                                      socket.handshake.remoteAddress) }
            }
            XCTAssertTrue(waitUntil { seen.withLock { $0 != nil } })
            let handshake = try XCTUnwrap(seen.withLock { $0 })
            XCTAssertEqual(handshake.host, keeps ? "127.0.0.1" : nil)
            XCTAssertEqual(handshake.url, keeps ? "/socket.io/?EIO=4&transport=websocket&room=a" : "")
            XCTAssertEqual(handshake.query["room"], keeps ? "a" : nil)
            XCTAssertTrue(handshake.address.hasPrefix("127.0.0.1:"), handshake.address)
            server.stop()
            server = nil
        }
    }

    func testWebSocketHandshakeOffersNoUpgrades() throws {
        let port = try start()
        let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket")
        XCTAssertTrue(ws.upgraded, ws.handshakeResponse)
        let open = try ws.receiveText()
        let sid = try sid(fromOpenPacket: open)
        XCTAssertEqual(open, #"0{"sid":"\#(sid)","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
        XCTAssertTrue(waitUntil { self.server.recorder.sockets.withLock { $0[sid] != nil } })
    }

    // MARK: Polling

    func testPollingExchangeTextAndBinary() throws {
        let port = try start()
        let sid = try openPollingSession(port)
        let pushed = try post(port, sid, "4hello\u{1e}bAQIDBA==")
        XCTAssertEqual(pushed.status, 200)
        XCTAssertEqual(pushed.text, "ok")
        XCTAssertEqual(pushed.header("Content-Type"), "text/html")
        XCTAssertTrue(waitUntil { self.server.recorder.messages.withLock { $0.count } == 2 })
        XCTAssertEqual(server.recorder.messages.withLock { $0.map(\.message) }, [.text("hello"), .binary([1, 2, 3, 4])])
        let polled = try poll(port, sid)
        XCTAssertEqual(polled.status, 200)
        XCTAssertEqual(polled.text, "4hello\u{1e}bAQIDBA==")
    }

    func testWaitingPollIsAnsweredWhenAMessageIsSent() throws {
        let port = try start()
        let sid = try openPollingSession(port)
        let waiting = try TestHTTP(port: port, method: "GET", target: "/socket.io/?EIO=4&transport=polling&sid=\(sid)")
        usleep(50_000)
        server.recorder.withSocket(sid) { $0.send(.text("from server")) }
        let response = try waiting.response()
        XCTAssertEqual(response.text, "4from server")
    }

    func testConcurrentPollClosesTheSession() throws {
        let port = try start()
        let sid = try openPollingSession(port)
        let first = try TestHTTP(port: port, method: "GET", target: "/socket.io/?EIO=4&transport=polling&sid=\(sid)")
        usleep(50_000)
        let second = try poll(port, sid)
        XCTAssertEqual(second.status, 400)
        let firstResponse = try first.response()
        XCTAssertEqual(firstResponse.status, 200)
        XCTAssertEqual(firstResponse.text, "1")
        XCTAssertEqual(waitForClose(sid), "transport error")
        let after = try poll(port, sid)
        XCTAssertEqual(after.status, 400)
        XCTAssertEqual(after.text, #"{"code":1,"message":"Session ID unknown"}"#)
    }

    func testOversizePostIs413AndClosesTheSession() throws {
        let port = try start(EngineIOConfiguration(maxPayload: 100))
        let sid = try openPollingSession(port)
        let response = try post(port, sid, "4" + String(repeating: "x", count: 200))
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(waitForClose(sid), "transport error")
        XCTAssertEqual(try poll(port, sid).status, 400)
        XCTAssertTrue(server.recorder.messages.withLock { $0.isEmpty })
    }

    func testPostOfExactlyMaxPayloadIsAcceptedAndOneByteMoreIsNot() throws {
        let port = try start(EngineIOConfiguration(maxPayload: 100))
        let sid = try openPollingSession(port)
        let atLimit = try post(port, sid, "4" + String(repeating: "x", count: 99))
        XCTAssertEqual(atLimit.status, 200, "a body of exactly maxPayload bytes is allowed")
        XCTAssertTrue(waitUntil { server.recorder.messages.withLock { $0.count } == 1 })
        let overLimit = try post(port, sid, "4" + String(repeating: "x", count: 100))
        XCTAssertEqual(overLimit.status, 413, "maxPayload + 1 bytes is refused")
    }

    func testBinaryContentTypeIsRefused() throws {
        let port = try start()
        let sid = try openPollingSession(port)
        let response = try post(port, sid, "4hi", headers: [("Content-Type", "application/octet-stream")])
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(waitForClose(sid), "transport error")
    }

    func testBadPacketClosesWithParseError() throws {
        let port = try start()
        let sid = try openPollingSession(port)
        _ = try post(port, sid, "abc")
        XCTAssertEqual(waitForClose(sid), "parse error")
        XCTAssertEqual(try poll(port, sid).status, 400)
    }

    func testClientClosePacketCompletesTheWaitingPollWithNoop() throws {
        let port = try start()
        let sid = try openPollingSession(port)
        let waiting = try TestHTTP(port: port, method: "GET", target: "/socket.io/?EIO=4&transport=polling&sid=\(sid)")
        usleep(50_000)
        XCTAssertEqual(try post(port, sid, "1").status, 200)
        XCTAssertEqual(try waiting.response().text, "6")
        XCTAssertEqual(waitForClose(sid), "transport close")
    }

    func testServerCloseSendsTheClosePacket() throws {
        let port = try start()
        let sid = try openPollingSession(port)
        let waiting = try TestHTTP(port: port, method: "GET", target: "/socket.io/?EIO=4&transport=polling&sid=\(sid)")
        usleep(50_000)
        server.recorder.withSocket(sid) { socket in
            socket.send(.text("bye"))
            socket.close()
        }
        let text = try waiting.response().text
        // The message goes first; the close packet in the same or (after a noop, as the official server) the next poll.
        if text == "4bye" {
            XCTAssertEqual(try poll(port, sid).text, "6\u{1e}1")
        } else {
            XCTAssertEqual(text, "4bye\u{1e}1")
        }
        XCTAssertEqual(waitForClose(sid), "forced close")
    }

    func testCORSAndCompressionOfPollingResponses() throws {
        let port = try start(cors: CORSPolicy(allowedOrigins: ["*"]))
        let sid = try openPollingSession(port)
        let big = String(repeating: "fitmate ", count: 400)
        XCTAssertEqual(try post(port, sid, "4" + big).status, 200)
        XCTAssertTrue(waitUntil { self.server.recorder.messages.withLock { $0.count } == 1 })
        let response = try TestHTTP.request(port, "GET", "/socket.io/?EIO=4&transport=polling&sid=\(sid)",
                                            headers: [("Origin", "https://app.example"), ("Accept-Encoding", "gzip")])
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Access-Control-Allow-Origin"), "https://app.example")
        XCTAssertEqual(response.header("Access-Control-Allow-Credentials"), "true")
        XCTAssertEqual(response.header("Content-Encoding"), "gzip")
        XCTAssertLessThan(response.body.count, big.utf8.count / 4)
    }

    // MARK: Heartbeat

    func testPingPongKeepsTheSessionAndSilenceTimesItOut() throws {
        let port = try start(EngineIOConfiguration(pingIntervalMs: 100, pingTimeoutMs: 250))
        let sid = try openPollingSession(port)
        for _ in 0..<2 {
            XCTAssertEqual(try poll(port, sid).text, "2")
            XCTAssertEqual(try post(port, sid, "3").status, 200)
        }
        XCTAssertNil(server.recorder.closeReason(sid))
        XCTAssertEqual(try poll(port, sid).text, "2")
        XCTAssertEqual(waitForClose(sid), "ping timeout")
        XCTAssertEqual(try poll(port, sid).status, 400)
        XCTAssertEqual(server.engine.clientsCount, 0)
    }

    func testWebSocketHeartbeatTimeout() throws {
        let port = try start(EngineIOConfiguration(pingIntervalMs: 100, pingTimeoutMs: 250))
        let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket")
        let sid = try sid(fromOpenPacket: try ws.receiveText())
        XCTAssertEqual(try ws.receiveText(), "2")
        try ws.sendText("3")
        XCTAssertEqual(try ws.receiveText(), "2")
        XCTAssertTrue(ws.waitForClose())
        XCTAssertEqual(waitForClose(sid), "ping timeout")
    }

    func testHeartbeatsOfManySessionsOnOneLoopKeepTheirOwnDeadlines() throws {
        server = try EngineIOTestServer(loops: 1, configuration: EngineIOConfiguration(pingIntervalMs: 150, pingTimeoutMs: 300))
        let port = server.port
        // Opened one after the other, so they sit in the loop's queues in that order: the silent ones time out one by
        // one while the ones answering every ping (first, middle and last in the queue) stay.
        var sessions: [(ws: TestWebSocket, sid: String)] = []
        for _ in 0..<5 {
            let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket")
            sessions.append((ws, try sid(fromOpenPacket: try ws.receiveText())))
        }
        let answering = [0, 2, 4]
        for _ in 0..<4 {
            for i in answering {
                XCTAssertEqual(try sessions[i].ws.receiveText(), "2")
                try sessions[i].ws.sendText("3")
            }
        }
        for i in [1, 3] { XCTAssertEqual(waitForClose(sessions[i].sid), "ping timeout") }
        for i in answering { XCTAssertNil(server.recorder.closeReason(sessions[i].sid)) }
        XCTAssertEqual(server.engine.clientsCount, 3)
    }

    // MARK: WebSocket

    func testWebSocketTextAndBinaryBothWays() throws {
        let port = try start()
        let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket")
        let sid = try sid(fromOpenPacket: try ws.receiveText())
        try ws.sendText("4hello")
        XCTAssertEqual(try ws.receiveText(), "4hello")
        try ws.sendBinary([1, 2, 3, 4])
        let frame = try XCTUnwrap(try ws.receive())
        XCTAssertEqual(frame.opcode, 2, "binary packets are bare binary frames")
        XCTAssertEqual(frame.payload, [1, 2, 3, 4])
        XCTAssertEqual(server.recorder.messages.withLock { $0.map(\.message) }, [.text("hello"), .binary([1, 2, 3, 4])])
        try ws.sendText("1")
        XCTAssertTrue(ws.waitForClose())
        XCTAssertEqual(waitForClose(sid), "transport close")
    }

    func testWebSocketParseError() throws {
        let port = try start()
        let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket")
        let sid = try sid(fromOpenPacket: try ws.receiveText())
        try ws.sendText("abc")
        XCTAssertTrue(ws.waitForClose())
        XCTAssertEqual(waitForClose(sid), "parse error")
    }

    func testUpgradeFromPollingToWebSocket() throws {
        // Connections go round-robin over the two loops: handshake, poll, WebSocket → the WebSocket shares the socket's loop.
        try runUpgrade(spacerConnections: 0)
    }

    func testUpgradeWithTheWebSocketOnAnotherLoop() throws {
        // One spacer connection puts the WebSocket on the other loop: frames cross loops both ways.
        try runUpgrade(spacerConnections: 1)
    }

    private func runUpgrade(spacerConnections: Int) throws {
        let port = try start()
        let sid = try openPollingSession(port)
        let waiting = try TestHTTP(port: port, method: "GET", target: "/socket.io/?EIO=4&transport=polling&sid=\(sid)")
        usleep(30_000)
        let spacers = try (0..<spacerConnections).map { _ in try BlockingSocket(port: port) }
        defer { _ = spacers }
        let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
        XCTAssertTrue(ws.upgraded, ws.handshakeResponse)
        try ws.sendText("2probe")
        XCTAssertEqual(try ws.receiveText(), "3probe")
        XCTAssertEqual(try waiting.response().text, "6", "the poll in flight is completed with a noop")
        try ws.sendText("5")
        try ws.sendText("4hello")
        XCTAssertEqual(try ws.receiveText(), "4hello")
        let done = expectation(description: "transport")
        server.recorder.withSocket(sid) { socket in
            XCTAssertEqual(socket.transportName, "websocket")
            socket.send(.binary([9, 8, 7]))
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        let frame = try XCTUnwrap(try ws.receive())
        XCTAssertEqual(frame.opcode, 2)
        XCTAssertEqual(frame.payload, [9, 8, 7])
        let late = try poll(port, sid)
        XCTAssertEqual(late.status, 400)
        XCTAssertEqual(late.text, #"{"code":3,"message":"Bad request"}"#)
        // A second WebSocket for the same sid is closed.
        let second = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
        XCTAssertTrue(second.waitForClose())
        try ws.sendText("4still here")
        XCTAssertEqual(try ws.receiveText(), "4still here")
    }

    func testBroadcastOfAPreparedMessage() throws {
        let port = try start()
        let pollingSid = try openPollingSession(port)
        let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket")
        let wsSid = try sid(fromOpenPacket: try ws.receiveText())
        let text = EngineIOPreparedMessage(.text("news"))
        let binary = EngineIOPreparedMessage(.binary([0xCA, 0xFE]))
        for sid in [pollingSid, wsSid] {
            server.recorder.withSocket(sid) { socket in
                socket.send(text)
                socket.send(binary)
            }
        }
        XCTAssertEqual(try ws.receiveText(), "4news")
        XCTAssertEqual(try XCTUnwrap(try ws.receive()).payload, [0xCA, 0xFE])
        usleep(50_000)
        XCTAssertEqual(try poll(port, pollingSid).text, "4news\u{1e}byv4=")
    }

    // MARK: Errors

    func testErrorResponses() throws {
        let port = try start(allowRequest: { head in
            head.headers["Origin"] == "https://evil.example" ? .forbidden : nil
        })
        let cases: [(String, String, [(String, String)], Int, String)] = [
            ("GET", "/socket.io/?EIO=4&transport=abc", [], 400, #"{"code":0,"message":"Transport unknown"}"#),
            ("GET", "/socket.io/?EIO=4", [], 400, #"{"code":0,"message":"Transport unknown"}"#),
            ("GET", "/socket.io/?EIO=4&transport=polling&sid=nope", [], 400, #"{"code":1,"message":"Session ID unknown"}"#),
            ("POST", "/socket.io/?EIO=4&transport=polling", [], 400, #"{"code":2,"message":"Bad handshake method"}"#),
            ("PUT", "/socket.io/?EIO=4&transport=polling", [], 400, #"{"code":2,"message":"Bad handshake method"}"#),
            ("GET", "/socket.io/?EIO=4&transport=websocket", [], 400, #"{"code":3,"message":"Bad request"}"#),
            ("GET", "/socket.io/?EIO=4&transport=polling", [("Origin", "https://evil.example")], 403,
             #"{"code":4,"message":"Forbidden"}"#),
            ("GET", "/socket.io/?EIO=3&transport=polling", [], 400, #"{"code":5,"message":"Unsupported protocol version"}"#),
            ("GET", "/socket.io/?transport=polling", [], 400, #"{"code":5,"message":"Unsupported protocol version"}"#),
        ]
        for (method, target, headers, status, body) in cases {
            let response = try TestHTTP.request(port, method, target, headers: headers)
            XCTAssertEqual(response.status, status, "\(method) \(target)")
            XCTAssertEqual(response.text, body, "\(method) \(target)")
            XCTAssertEqual(response.header("Content-Type"), "application/json")
        }
        XCTAssertEqual(server.engine.clientsCount, 0)
    }

    func testRefusedUpgradesGetTheOfficialPlain400() throws {
        let port = try start()
        for (target, message) in [("/socket.io/?EIO=4&transport=abc", "Transport unknown"),
                                  ("/socket.io/?EIO=4&transport=websocket&sid=nope", "Session ID unknown"),
                                  ("/socket.io/?EIO=3&transport=websocket", "Unsupported protocol version")] {
            let ws = try TestWebSocket(port: port, target: target)
            XCTAssertFalse(ws.upgraded)
            XCTAssertTrue(ws.handshakeResponse.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), ws.handshakeResponse)
            let rest = try ws.socket.receiveUntilClose()
            XCTAssertEqual(String(decoding: ws.pendingBytes + rest, as: UTF8.self), message)
        }
    }

    func testCloseAllEndsEverySession() throws {
        let port = try start()
        let a = try openPollingSession(port)
        let ws = try TestWebSocket(port: port, target: "/socket.io/?EIO=4&transport=websocket")
        let b = try sid(fromOpenPacket: try ws.receiveText())
        XCTAssertEqual(server.engine.clientsCount, 2)
        server.engine.closeAll()
        XCTAssertEqual(waitForClose(a), "server shutting down")
        XCTAssertEqual(waitForClose(b), "server shutting down")
        XCTAssertTrue(ws.waitForClose())
        XCTAssertTrue(waitUntil { self.server.engine.clientsCount == 0 })
    }
}
