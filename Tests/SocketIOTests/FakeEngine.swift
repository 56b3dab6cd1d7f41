import EventLoop
import GatewayProtocol
import HTTP
import SocketIO
import Synchronization
import TestSupport
import XCTest

/// What a fake connection was given to send, readable from the test thread.
enum Sent: Equatable, Sendable, CustomStringConvertible {
    case text(String)
    case binary([UInt8])

    var description: String {
        switch self {
        case .text(let s): return s
        case .binary(let b): return "<\(b)>"
        }
    }
    var text: String? { if case .text(let s) = self { return s } else { return nil } }
}

final class Wire: Sendable {
    private let state = Mutex<(sent: [Sent], shared: [SharedEngineMessage?], closedByServer: Bool)>(([], [], false))
    func record(_ message: EngineMessage, shared: SharedEngineMessage?) {
        let sent: Sent
        switch message {
        case .text(let b): sent = .text(String(decoding: b, as: UTF8.self))
        case .binary(let b): sent = .binary(b)
        }
        state.withLock {
            $0.sent.append(sent)
            $0.shared.append(shared)
        }
    }
    func markClosed() { state.withLock { $0.closedByServer = true } }
    var sent: [Sent] { state.withLock { $0.sent } }
    var shared: [SharedEngineMessage?] { state.withLock { $0.shared } }
    var closedByServer: Bool { state.withLock { $0.closedByServer } }
}

/// An in-memory Engine.IO connection.
final class FakeConnection: EngineConnection {
    let id: String
    let loop: EventLoop
    let engineHandshake: EngineHandshake
    let wire: Wire
    var isWritable = true
    var handler: EngineConnectionHandler?

    init(id: String, loop: EventLoop, wire: Wire, handshake: EngineHandshake) {
        self.id = id
        self.loop = loop
        self.wire = wire
        self.engineHandshake = handshake
    }

    func send(_ message: EngineMessage) {
        precondition(loop.isInLoop)
        wire.record(message, shared: nil)
    }
    func send(prepared: SharedEngineMessage) {
        precondition(loop.isInLoop)
        wire.record(prepared.message, shared: prepared)
    }
    func close() {
        wire.markClosed()
        handler = nil
    }
}

/// Runs `body` on `loop` and waits for its result.
func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) -> T {
    let result = Mutex<T?>(nil)
    loop.execute { let value = body(); result.withLock { $0 = value } }
    precondition(waitUntil { result.withLock { $0 != nil } }, "loop did not answer")
    return result.withLock { $0! }
}

/// The test's side of one connection.
struct TestClient: Sendable {
    let wire: Wire
    let connection: LoopBound<FakeConnection>
    var loop: EventLoop { connection.loop }

    init(server: SocketIOServer, loop: EventLoop, query: [String: String] = [:]) {
        let wire = Wire()
        self.wire = wire
        connection = onLoop(loop) {
            let conn = FakeConnection(id: SocketIOIDs.random(), loop: loop, wire: wire,
                                      handshake: EngineHandshake(headers: PackedHeaders([("Origin", "https://app")]),
                                                                 remoteAddress: "10.0.0.1",
                                                                 url: Self.url(query: query)))
            conn.handler = server.handleNewConnection(conn)
            return LoopBound(conn, loop: loop)
        }
    }

    /// A handshake URL carrying `query` (test values need no percent-encoding).
    static func url(query: [String: String]) -> String {
        query.isEmpty ? "/socket.io/" : "/socket.io/?" + query.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    func send(_ text: String) {
        let connection = self.connection
        connection.loop.execute { connection.value.handler?.receive(.text(Array(text.utf8))) }
    }

    func sendBinary(_ bytes: [UInt8]) {
        let connection = self.connection
        connection.loop.execute { connection.value.handler?.receive(.binary(bytes)) }
    }

    /// The transport went away under the server.
    func engineClosed(_ reason: String) {
        let connection = self.connection
        connection.loop.execute {
            let handler = connection.value.handler
            connection.value.handler = nil
            handler?.closed(reason: reason)
        }
    }

    func setWritable(_ writable: Bool) {
        let connection = self.connection
        _ = onLoop(connection.loop) { connection.value.isWritable = writable; return true }
    }

    /// Waits until at least `count` messages were sent, and returns them all.
    @discardableResult
    func waitFor(_ count: Int, file: StaticString = #filePath, line: UInt = #line) -> [Sent] {
        if !waitUntil({ wire.sent.count >= count }) {
            XCTFail("expected \(count) messages, got \(wire.sent)", file: file, line: line)
        }
        return wire.sent
    }

    /// Connects to `nsp` and returns the sid of the CONNECT reply.
    func connect(_ nsp: String = "/", auth: String = "", file: StaticString = #filePath, line: UInt = #line) -> String? {
        let before = wire.sent.count
        send("0" + (nsp == "/" ? "" : nsp + ",") + auth)
        let sent = waitFor(before + 1, file: file, line: line)
        guard let reply = sent[before].text else { return nil }
        let prefix = "0" + (nsp == "/" ? "" : nsp + ",")
        guard reply.hasPrefix(prefix), let json = try? JSONValue.parse(String(reply.dropFirst(prefix.count))) else {
            XCTFail("not a CONNECT reply: \(reply)", file: file, line: line)
            return nil
        }
        return json["sid"]?.stringValue
    }

    /// Asserts nothing more arrives for a short while.
    func expectQuiet(after count: Int, file: StaticString = #filePath, line: UInt = #line) {
        usleep(50_000)
        XCTAssertEqual(wire.sent.count, count, "unexpected: \(wire.sent.dropFirst(count))", file: file, line: line)
    }
}

/// Thread-safe record of strings, for handlers to report into.
final class Log: Sendable {
    private let items = Mutex<[String]>([])
    func add(_ s: String) { items.withLock { $0.append(s) } }
    var all: [String] { items.withLock { $0 } }
    func wait(for count: Int, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        if !waitUntil({ all.count >= count }) { XCTFail("expected \(count) log entries, got \(all)", file: file, line: line) }
        return all
    }
}
