@testable import EngineIO
import EventLoop
import Foundation
import HTTP
import Synchronization
import TestSupport
import WebSocket
import XCTest

/// Records what sockets receive and how they close; optionally echoes every message.
final class Recorder: EngineIOSocketDelegate, @unchecked Sendable {
    let echo: Bool
    let messages = Mutex<[(sid: String, message: EngineIOMessage)]>([])
    let closes = Mutex<[(sid: String, reason: String)]>([])
    let sockets = Mutex<[String: LoopBound<EngineIOSocket>]>([:])

    init(echo: Bool) { self.echo = echo }

    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) {
        messages.withLock { $0.append((socket.id, message)) }
        if echo { socket.send(message) }
    }

    func engineSocketDidClose(_ socket: EngineIOSocket, reason: String) {
        closes.withLock { $0.append((socket.id, reason)) }
    }

    func closeReason(_ sid: String) -> String? { closes.withLock { $0.first { $0.sid == sid }?.reason } }

    /// Runs `body` with the socket on its loop.
    func withSocket(_ sid: String, _ body: @escaping @Sendable (EngineIOSocket) -> Void) {
        guard let box = sockets.withLock({ $0[sid] }) else { return XCTFail("no socket \(sid)") }
        box.loop.execute { body(box.value) }
    }
}

/// An Engine.IO server on loopback (two loops by default, so that requests hop between loops).
final class EngineIOTestServer {
    let group: EventLoopGroup
    let http: HTTPServer
    let engine: EngineIOServer
    let listener: Listener
    let recorder: Recorder
    var port: Int { listener.port }

    init(loops: Int = 2, configuration: EngineIOConfiguration = EngineIOConfiguration(), echo: Bool = true,
         cors: CORSPolicy? = nil, allowRequest: (@Sendable (HTTPRequestHead) -> EngineIOError?)? = nil) throws {
        group = try EventLoopGroup(count: loops)
        http = HTTPServer(group: group, configuration: HTTPServerConfiguration(cors: cors))
        engine = EngineIOServer(http: http, configuration: configuration)
        let recorder = Recorder(echo: echo)
        self.recorder = recorder
        engine.allowRequest = allowRequest
        engine.onConnection = { socket in
            socket.delegate = recorder
            let box = LoopBound(socket, loop: socket.loop)
            recorder.sockets.withLock { $0[socket.id] = box }
        }
        listener = try http.listen(host: "127.0.0.1", port: 0)
        group.start()
    }

    func stop() {
        listener.stop()
        group.shutdown()
    }
}

struct TestResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`), blocking.
final class TestHTTP {
    let socket: BlockingSocket

    init(port: Int, method: String, target: String, body: [UInt8] = [], headers: [(String, String)] = []) throws {
        socket = try BlockingSocket(port: port)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try socket.send(Array(head.utf8) + body)
    }

    func response() throws -> TestResponse {
        let raw = try socket.receiveUntilClose()
        guard let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { throw TestError("no header end in \(raw.count) bytes") }
        let headText = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestError("bad status line") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return TestResponse(status: status, headers: headers, body: Array(raw[end.upperBound...]))
    }

    static func request(_ port: Int, _ method: String, _ target: String, body: String = "",
                        headers: [(String, String)] = []) throws -> TestResponse {
        try TestHTTP(port: port, method: method, target: target, body: Array(body.utf8), headers: headers).response()
    }
}

/// A minimal blocking WebSocket client: masked frames out, unmasked frames in.
final class TestWebSocket {
    let socket: BlockingSocket
    private var buffer: [UInt8] = []
    let handshakeResponse: String

    init(port: Int, target: String) throws {
        socket = try BlockingSocket(port: port)
        let request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try socket.send(request)
        var raw: [UInt8] = []
        while raw.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
            let chunk = try socket.receiveSome()
            if chunk.isEmpty { break }
            raw += chunk
        }
        if let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) {
            handshakeResponse = String(decoding: raw[..<end.upperBound], as: UTF8.self)
            buffer = Array(raw[end.upperBound...])
        } else {
            handshakeResponse = String(decoding: raw, as: UTF8.self)
        }
    }

    var upgraded: Bool { handshakeResponse.hasPrefix("HTTP/1.1 101") }
    /// Bytes read after the response head and not yet consumed as frames.
    var pendingBytes: [UInt8] { buffer }

    func sendText(_ text: String) throws {
        try socket.send(WebSocketFrame.encode(opcode: .text, payload: Array(text.utf8), maskKey: 0x1234_5678))
    }

    func sendBinary(_ bytes: [UInt8]) throws {
        try socket.send(WebSocketFrame.encode(opcode: .binary, payload: bytes, maskKey: 0x0BAD_F00D))
    }

    /// The next frame; nil at EOF.
    func receive() throws -> (opcode: UInt8, payload: [UInt8])? {
        while true {
            if buffer.count >= 2 {
                let opcode = buffer[0] & 0x0F
                var length = Int(buffer[1] & 0x7F)
                var offset = 2
                if length == 126, buffer.count >= 4 {
                    length = Int(buffer[2]) << 8 | Int(buffer[3])
                    offset = 4
                } else if length == 127, buffer.count >= 10 {
                    length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
                    offset = 10
                } else if length >= 126 {
                    length = Int.max / 2
                }
                if buffer.count >= offset + length {
                    let payload = Array(buffer[offset..<offset + length])
                    buffer.removeFirst(offset + length)
                    return (opcode, payload)
                }
            }
            let chunk = try socket.receiveSome()
            if chunk.isEmpty { return nil }
            buffer += chunk
        }
    }

    /// The next text frame as a string (skipping nothing: a binary frame fails).
    func receiveText() throws -> String {
        guard let frame = try receive() else { throw TestError("closed") }
        guard frame.opcode == 1 else { throw TestError("expected a text frame, got opcode \(frame.opcode)") }
        return String(decoding: frame.payload, as: UTF8.self)
    }

    /// Reads until a Close frame or EOF; true if either came.
    func waitForClose() -> Bool {
        while true {
            guard let frame = try? receive() else { return socket.isClosedByPeer() }
            if frame.opcode == 8 { return true }
        }
    }
}

/// The sid from an open packet `0{"sid":"…",…}`.
func sid(fromOpenPacket text: String) throws -> String {
    guard text.hasPrefix("0"), let data = text.dropFirst().data(using: .utf8),
          let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let sid = object["sid"] as? String
    else { throw TestError("not an open packet: \(text)") }
    return sid
}

func openPollingSession(_ port: Int, path: String = "/socket.io/") throws -> String {
    let response = try TestHTTP.request(port, "GET", "\(path)?EIO=4&transport=polling")
    guard response.status == 200 else { throw TestError("handshake status \(response.status): \(response.text)") }
    return try sid(fromOpenPacket: response.text)
}
