@testable import EventLoop
import Glibc
import HTTP
import Synchronization
import TestSupport
@testable import WebSocket
import XCTest

/// A hand-driven client on a blocking socket, for frames our own client would never send.
final class RawWebSocket {
    let socket: BlockingSocket
    private var buffer: [UInt8] = []
    private(set) var status = 0
    private(set) var responseHead = ""

    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  // RFC 6455 §1.3

    /// Sends an upgrade request and reads the response head. `fields` replace the defaults of the same name; a value of
    /// nil drops the field.
    init(port: Int, path: String = "/echo", fields: [(String, String?)] = []) throws {
        socket = try BlockingSocket(port: port)
        var headers: [(String, String?)] = [("Host", "127.0.0.1"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                            ("Sec-WebSocket-Key", Self.sampleKey), ("Sec-WebSocket-Version", "13")]
        for (name, value) in fields {
            if let i = headers.firstIndex(where: { $0.0.lowercased() == name.lowercased() }) { headers[i].1 = value }
            else { headers.append((name, value)) }
        }
        var request = "GET \(path) HTTP/1.1\r\n"
        for (name, value) in headers { if let value { request += "\(name): \(value)\r\n" } }
        try socket.send(request + "\r\n")
        while true {
            if let end = WebSocketClientHandshaker.headEnd(buffer) {
                responseHead = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                break
            }
            let chunk = try socket.receiveSome()
            if chunk.isEmpty { throw TestError("closed before the response head: \(String(decoding: buffer, as: UTF8.self))") }
            buffer += chunk
        }
        status = Int(responseHead.split(separator: " ")[1]) ?? 0
    }

    func header(_ name: String) -> String? {
        for line in responseHead.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    func send(_ bytes: [UInt8]) throws { try socket.send(bytes) }

    /// The next frame, or nil at EOF.
    func readFrame() throws -> DecodedFrame? {
        func fill(_ count: Int) throws -> Bool {
            while buffer.count < count {
                let chunk = try socket.receiveSome()
                if chunk.isEmpty { return false }
                buffer += chunk
            }
            return true
        }
        guard try fill(2) else { return nil }
        var length = Int(buffer[1] & 0x7F)
        var header = 2
        if length == 126 { header = 4 } else if length == 127 { header = 10 }
        if buffer[1] & 0x80 != 0 { header += 4 }
        guard try fill(header) else { return nil }
        if length == 126 { length = Int(buffer[2]) << 8 | Int(buffer[3]) }
        else if length == 127 { length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) } }
        guard try fill(header + length) else { return nil }
        let frame = decodeFrames(Array(buffer[..<(header + length)]))[0]
        buffer.removeFirst(header + length)
        return frame
    }

    /// Reads frames until a Close; returns its code (nil for an empty Close).
    func readCloseCode() throws -> UInt16?? {
        while let frame = try readFrame() {
            if frame.opcode == 0x8 {
                return frame.payload.count >= 2 ? UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) : .some(nil)
            }
        }
        return nil
    }

    /// True when the server closes TCP (EOF) after what was read.
    func seesEOF() -> Bool { socket.isClosedByPeer() }
}

private let deflateOffer: (String, String?) = ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")

/// RFC 6455 / 7692 behaviour over real sockets, with raw frames; what Autobahn checks, in the subset CI can run.
final class WebSocketConformanceTests: XCTestCase {
    var server: WebSocketTestServer!

    override func setUpWithError() throws { server = try WebSocketTestServer() }
    override func tearDown() { server.stop() }

    // MARK: Handshake

    func testHandshakeAnswers101WithAcceptValue() throws {
        let ws = try RawWebSocket(port: server.port)
        XCTAssertEqual(ws.status, 101)
        XCTAssertEqual(ws.header("Sec-WebSocket-Accept"), RawWebSocket.sampleAccept)
        XCTAssertEqual(ws.header("Upgrade")?.lowercased(), "websocket")
        XCTAssertNil(ws.header("Sec-WebSocket-Extensions"))
        XCTAssertTrue(waitUntil { self.server.ws.openSessionCount == 1 })
        XCTAssertEqual(server.http.openConnectionCount, 0, "an upgraded connection is no longer HTTP's")
    }

    func testVersion8Gets426WithSupportedVersion() throws {
        let ws = try RawWebSocket(port: server.port, fields: [("Sec-WebSocket-Version", "8")])
        XCTAssertEqual(ws.status, 426)
        XCTAssertEqual(ws.header("Sec-WebSocket-Version"), "13")
        XCTAssertTrue(ws.seesEOF())
    }

    func testMissingKeyGets400() throws {
        let ws = try RawWebSocket(port: server.port, fields: [("Sec-WebSocket-Key", nil)])
        XCTAssertEqual(ws.status, 400)
        XCTAssertTrue(ws.seesEOF())
    }

    func testRefusedOriginGets403AndAllowedOriginIsUpgraded() throws {
        let refused = try RawWebSocket(port: server.port, path: "/origin", fields: [("Origin", "https://evil.test")])
        XCTAssertEqual(refused.status, 403)
        XCTAssertTrue(refused.seesEOF())
        let missing = try RawWebSocket(port: server.port, path: "/origin")
        XCTAssertEqual(missing.status, 403)
        let allowed = try RawWebSocket(port: server.port, path: "/origin", fields: [("Origin", "https://app.fitmate.test")])
        XCTAssertEqual(allowed.status, 101)
    }

    func testUnregisteredPathIsLeftToHTTP() throws {
        let ws = try RawWebSocket(port: server.port, path: "/not-a-socket")
        XCTAssertEqual(ws.status, 404)
        XCTAssertTrue(waitUntil { self.server.ws.openSessionCount == 0 })
    }

    func testPlainGetToRegisteredPathGets426() throws {
        let socket = try BlockingSocket(port: server.port)
        try socket.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = String(decoding: try socket.receive { WebSocketClientHandshaker.headEnd($0) != nil }, as: UTF8.self)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 426 "), head)
    }

    func testFramesSentWithTheUpgradeRequestAreProcessed() throws {
        let socket = try BlockingSocket(port: server.port)
        let request = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(RawWebSocket.sampleKey)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try socket.send(Array(request.utf8) + frame(0x1, Array("early".utf8)))
        let bytes = try socket.receive { bytes in
            guard let end = WebSocketClientHandshaker.headEnd(bytes) else { return false }
            return bytes.count >= end + 4 + 7
        }
        let end = WebSocketClientHandshaker.headEnd(bytes)!
        XCTAssertEqual(decodeFrames(Array(bytes[(end + 4)...])), [DecodedFrame(fin: true, rsv1: false, opcode: 1, masked: false,
                                                                               payload: Array("early".utf8))])
    }

    // MARK: Messages and control frames

    func testFragmentedMessageWithInterleavedPing() throws {
        let ws = try RawWebSocket(port: server.port)
        try ws.send(frame(0x1, Array("Hello, ".utf8), fin: false))
        try ws.send(frame(0x9, Array("mid".utf8)))
        try ws.send(frame(0x0, Array("fragmented ".utf8), fin: false))
        try ws.send(frame(0x0, Array("world".utf8)))
        XCTAssertEqual(try ws.readFrame(), DecodedFrame(fin: true, rsv1: false, opcode: 0xA, masked: false, payload: Array("mid".utf8)))
        XCTAssertEqual(try ws.readFrame(), DecodedFrame(fin: true, rsv1: false, opcode: 0x1, masked: false,
                                                        payload: Array("Hello, fragmented world".utf8)))
    }

    func testPingGetsPongWithSamePayload() throws {
        let ws = try RawWebSocket(port: server.port)
        let payload = pseudoRandomBytes(125)
        try ws.send(frame(0x9, payload))
        XCTAssertEqual(try ws.readFrame(), DecodedFrame(fin: true, rsv1: false, opcode: 0xA, masked: false, payload: payload))
        try ws.send(frame(0x9, []))
        XCTAssertEqual(try ws.readFrame()?.opcode, 0xA)
    }

    func testCloseHandshakeEchoesCodeAndServerClosesTCP() throws {
        let ws = try RawWebSocket(port: server.port)
        try ws.send(frame(0x1, Array("before close".utf8)) + frame(0x8, [0x0F, 0xA1] + Array("bye".utf8)))
        XCTAssertEqual(try ws.readFrame()?.payload, Array("before close".utf8), "a message sent just before Close is echoed")
        XCTAssertEqual(try ws.readCloseCode(), 4001)
        XCTAssertTrue(ws.seesEOF())
        Glibc.shutdown(ws.socket.fd, Int32(SHUT_WR))  // our side of TCP too, ending the server's linger
        XCTAssertTrue(waitUntil { self.server.ws.openSessionCount == 0 })
    }

    func testEmptyCloseIsAnsweredWithEmptyClose() throws {
        let ws = try RawWebSocket(port: server.port)
        try ws.send(frame(0x8, []))
        XCTAssertEqual(try ws.readCloseCode(), .some(nil))
        XCTAssertTrue(ws.seesEOF())
    }

    // MARK: Failures

    func testUnmaskedClientFrameFailsWith1002() throws {
        let ws = try RawWebSocket(port: server.port)
        try ws.send(frame(0x1, Array("naked".utf8), masked: false))
        XCTAssertEqual(try ws.readCloseCode(), WebSocketCloseCode.protocolError)
        XCTAssertTrue(ws.seesEOF())
    }

    func testReservedOpcodeFailsWith1002() throws {
        for opcode: UInt8 in [0x3, 0xB] {
            let ws = try RawWebSocket(port: server.port)
            try ws.send(frame(opcode, []))
            XCTAssertEqual(try ws.readCloseCode(), WebSocketCloseCode.protocolError, "opcode \(opcode)")
            XCTAssertTrue(ws.seesEOF())
        }
    }

    func testInvalidUTF8FailsWith1007() throws {
        let ws = try RawWebSocket(port: server.port)
        try ws.send(frame(0x1, [0x68, 0x69, 0xC0, 0xAF]))
        XCTAssertEqual(try ws.readCloseCode(), WebSocketCloseCode.invalidPayloadData)
        XCTAssertTrue(ws.seesEOF())
    }

    func testInvalidUTF8SplitAcrossFragmentsFailsWith1007() throws {
        // "κ" is CE BA: the first fragment ends with a valid lead byte, the second continues it wrongly.
        let ws = try RawWebSocket(port: server.port)
        try ws.send(frame(0x1, [0x61, 0xCE], fin: false))
        try ws.send(frame(0x0, [0x41, 0x62]))
        XCTAssertEqual(try ws.readCloseCode(), WebSocketCloseCode.invalidPayloadData)
        // A code point cut off by the end of the message.
        let truncated = try RawWebSocket(port: server.port)
        try truncated.send(frame(0x1, [0x61, 0xE2, 0x82], fin: false))
        try truncated.send(frame(0x0, []))
        XCTAssertEqual(try truncated.readCloseCode(), WebSocketCloseCode.invalidPayloadData)
        // Valid when split at the same place.
        let valid = try RawWebSocket(port: server.port)
        try valid.send(frame(0x1, [0x61, 0xCE], fin: false))
        try valid.send(frame(0x0, [0xBA]))
        XCTAssertEqual(try valid.readFrame()?.payload, [0x61, 0xCE, 0xBA])
    }

    func testMessageOverMaximumFailsWith1009() throws {
        let ws = try RawWebSocket(port: server.port, path: "/small")
        try ws.send(frame(0x2, [UInt8](repeating: 1, count: 1000)))
        XCTAssertEqual(try ws.readFrame()?.payload.count, 1000, "exactly the maximum passes")
        try ws.send(frame(0x2, [UInt8](repeating: 1, count: 600), fin: false))
        try ws.send(frame(0x0, [UInt8](repeating: 1, count: 401)))
        XCTAssertEqual(try ws.readCloseCode(), WebSocketCloseCode.messageTooBig)
        XCTAssertTrue(ws.seesEOF())
    }

    // MARK: permessage-deflate

    func testDeflateIsNegotiatedOnlyWhereConfigured() throws {
        let plain = try RawWebSocket(port: server.port, path: "/echo", fields: [deflateOffer])
        XCTAssertNil(plain.header("Sec-WebSocket-Extensions"))
        let compressed = try RawWebSocket(port: server.port, path: "/deflate", fields: [deflateOffer])
        let agreed = try XCTUnwrap(compressed.header("Sec-WebSocket-Extensions"))
        XCTAssertTrue(agreed.hasPrefix("permessage-deflate"), agreed)
        XCTAssertTrue(agreed.contains("server_no_context_takeover"), agreed)
    }

    func testCompressedFramesBothWaysOnTheWire() throws {
        let ws = try RawWebSocket(port: server.port, path: "/deflate", fields: [deflateOffer])
        let agreed = try XCTUnwrap(ws.header("Sec-WebSocket-Extensions"))
        let clientBits = agreed.contains("client_max_window_bits=12") ? 12 : 15
        let message = jsonLike(20_000)
        let deflater = try XCTUnwrap(DeflateCompressor(windowBits: clientBits, memLevel: 8, level: 6))
        for round in 0..<3 {
            var compressed: [UInt8] = []
            message.withUnsafeBytes { _ = deflater.compress($0, into: &compressed) }  // client keeps its context
            try ws.send(frame(0x1, compressed, rsv1: true))
            let echoed = try XCTUnwrap(try ws.readFrame())
            XCTAssertTrue(echoed.rsv1, "the echo is compressed (round \(round))")
            XCTAssertLessThan(echoed.payload.count, message.count / 4)
            let inflater = try XCTUnwrap(DeflateDecompressor(windowBits: 15))  // server_no_context_takeover: fresh each time
            var plain: [UInt8] = []
            XCTAssertNil(echoed.payload.withUnsafeBytes { inflater.inflate($0, into: &plain, limit: 1 << 20) })
            XCTAssertNil(inflater.finishMessage(into: &plain, limit: 1 << 20))
            XCTAssertEqual(plain, message, "round \(round)")
        }
    }

    func testCompressedFrameWithoutNegotiationFailsWith1002() throws {
        let ws = try RawWebSocket(port: server.port, path: "/echo")
        try ws.send(frame(0x1, [0xF2, 0x48, 0x05, 0x00], rsv1: true))
        XCTAssertEqual(try ws.readCloseCode(), WebSocketCloseCode.protocolError)
    }

    func testCompressedZipBombFailsWith1009() throws {
        let ws = try RawWebSocket(port: server.port, path: "/small-deflate", fields: [deflateOffer])
        XCTAssertNotNil(ws.header("Sec-WebSocket-Extensions"))
        let deflater = try XCTUnwrap(DeflateCompressor(windowBits: 12, memLevel: 8, level: 9))
        var bomb: [UInt8] = []
        [UInt8](repeating: 0, count: 50 * 1024 * 1024).withUnsafeBytes { _ = deflater.compress($0, into: &bomb) }
        XCTAssertLessThan(bomb.count, 200_000, "50 MiB of zeros deflate to little")
        try ws.send(frame(0x2, bomb, rsv1: true))
        XCTAssertEqual(try ws.readCloseCode(), WebSocketCloseCode.messageTooBig)
        XCTAssertTrue(ws.seesEOF())
    }

    // MARK: Closing and backpressure

    func testServerCloseTimesOutWhenPeerNeverAnswers() throws {
        let info = Mutex<WebSocketCloseInfo?>(nil)
        server.stop()
        server = try WebSocketTestServer { ws, _ in
            ws.register(path: "/closer", options: WebSocketSessionOptions(closeTimeoutMs: 200)) { session in
                session.onText = { _ in session.close(code: 4000, reason: "bye") }
                session.onClose = { closeInfo in info.withLock { $0 = closeInfo } }
            }
        }
        let ws = try RawWebSocket(port: server.port, path: "/closer")
        try ws.send(frame(0x1, Array("close please".utf8)))
        let close = try XCTUnwrap(try ws.readFrame())
        XCTAssertEqual(close.opcode, 0x8)
        XCTAssertEqual(close.payload, [0x0F, 0xA0] + Array("bye".utf8))
        let start = Date()
        XCTAssertTrue(ws.seesEOF(), "the server gives up on the closing handshake")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertTrue(waitUntil { info.withLock { $0 != nil } })
        XCTAssertEqual(info.withLock { $0 }?.code, WebSocketCloseCode.abnormalClosure)
        XCTAssertEqual(info.withLock { $0 }?.wasClean, false)
    }

    func testProducerIgnoringBackpressureIsClosedAtTheWriteLimit() throws {
        let info = Mutex<WebSocketCloseInfo?>(nil)
        let limits = ConnectionLimits(highWatermark: 64 * 1024, lowWatermark: 16 * 1024, maxBufferedBytes: 1024 * 1024)
        server.stop()
        server = try WebSocketTestServer(limits: limits) { ws, _ in
            ws.register(path: "/flood", options: WebSocketSessionOptions(maxQueuedBytes: 512 * 1024)) { session in
                session.onClose = { closeInfo in info.withLock { $0 = closeInfo } }
                let chunk = [UInt8](repeating: 0x61, count: 32 * 1024)
                session.onText = { _ in
                    for _ in 0..<1000 where !session.isClosed { session.sendBinary(chunk) }  // 32 MB, never checking
                }
            }
        }
        let ws = try RawWebSocket(port: server.port, path: "/flood")
        ws.socket.setReceiveBuffer(bytes: 4096)
        try ws.send(frame(0x1, Array("go".utf8)))
        XCTAssertTrue(waitUntil { info.withLock { $0 != nil } }, "a peer that does not read is cut off")
        let closed = try XCTUnwrap(info.withLock { $0 })
        XCTAssertEqual(closed.code, WebSocketCloseCode.abnormalClosure)
        XCTAssertTrue(closed.reason.contains("write buffer"), closed.reason)
    }

    func testProducerRespectingBackpressurePausesAndDeliversEverything() throws {
        let pauses = Atomic<Int>(0)
        let maxBuffered = Atomic<Int>(0)
        let closed = Atomic<Bool>(false)
        let limits = ConnectionLimits(highWatermark: 64 * 1024, lowWatermark: 16 * 1024, maxBufferedBytes: 1024 * 1024)
        // More than the kernel buffers on both sides take while the client does not read (a tiny receive buffer would
        // pause sooner, but makes loopback TCP crawl on delayed ACKs during the read-back).
        let total = 640, size = 32 * 1024
        server.stop()
        server = try WebSocketTestServer(limits: limits) { ws, _ in
            ws.register(path: "/polite") { session in
                var sent = 0
                func pump() {
                    while sent < total && session.isWritable {
                        session.sendBinary([UInt8](repeating: UInt8(sent & 0xFF), count: size))
                        sent += 1
                        let buffered = session.bufferedBytes
                        if buffered > maxBuffered.load(ordering: .relaxed) { maxBuffered.store(buffered, ordering: .relaxed) }
                    }
                }
                session.onWritabilityChange = { writable in
                    if writable { pump() } else { pauses.wrappingAdd(1, ordering: .relaxed) }
                }
                session.onClose = { _ in closed.store(true, ordering: .relaxed) }
                session.onText = { _ in pump() }
            }
        }
        let ws = try RawWebSocket(port: server.port, path: "/polite")
        try ws.send(frame(0x1, Array("go".utf8)))
        XCTAssertTrue(waitUntil { pauses.load(ordering: .relaxed) > 0 }, "the producer is told to pause")
        usleep(200_000)
        XCTAssertFalse(closed.load(ordering: .relaxed), "pausing keeps the connection")
        for i in 0..<total {
            let frame = try XCTUnwrap(try ws.readFrame(), "message \(i)")
            XCTAssertEqual(frame.payload.count, size)
            XCTAssertEqual(frame.payload.first, UInt8(i & 0xFF))
        }
        XCTAssertLessThanOrEqual(maxBuffered.load(ordering: .relaxed), 64 * 1024 + size + 16)
        XCTAssertGreaterThan(pauses.load(ordering: .relaxed), 1)
    }

    /// A message larger than the connection's write buffer is still delivered: the session feeds it in slices.
    func testMessageLargerThanConnectionWriteLimitIsEchoed() throws {
        let limits = ConnectionLimits(highWatermark: 64 * 1024, lowWatermark: 16 * 1024, maxBufferedBytes: 256 * 1024)
        server.stop()
        server = try WebSocketTestServer(limits: limits)
        let ws = try RawWebSocket(port: server.port, path: "/echo")
        let message = pseudoRandomBytes(1_500_000)
        try ws.send(frame(0x2, message))
        let echoed = try XCTUnwrap(try ws.readFrame())
        XCTAssertEqual(echoed.payload, message)
        try ws.send(frame(0x9, Array("after".utf8)))
        XCTAssertEqual(try ws.readFrame()?.payload, Array("after".utf8), "reading resumes once the queue drained")
        // A Close right behind a large message: the echo, then the Close reply, then TCP closes.
        try ws.send(frame(0x2, message) + closeFrame(4002, masked: true))
        XCTAssertEqual(try ws.readFrame()?.payload, message)
        XCTAssertEqual(try ws.readCloseCode(), 4002)
        XCTAssertTrue(ws.seesEOF())
    }
}
