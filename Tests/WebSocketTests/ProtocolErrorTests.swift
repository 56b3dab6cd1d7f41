import XCTest
@testable import WebSocket

final class ProtocolErrorTests: XCTestCase {
    private let deflate = NegotiatedDeflate()

    /// Feeds `wire`, expects failure with `code` and exactly one Close frame carrying it in the output.
    private func assertFails(_ engine: WebSocketProtocolEngine, _ wire: [UInt8], _ code: UInt16,
                             file: StaticString = #filePath, line: UInt = #line) {
        let f = engine.feed(wire)
        XCTAssertEqual(f.outcome, .failed(code: code), file: file, line: line)
        let out = decodeFrames(engine.takeOutput() ?? [])
        XCTAssertEqual(out.count, 1, file: file, line: line)
        XCTAssertEqual(out.first?.opcode, 0x8, file: file, line: line)
        XCTAssertEqual(out.first?.payload, [UInt8(code >> 8), UInt8(code & 0xFF)], file: file, line: line)
        XCTAssertEqual(out.first?.masked, engine.role == .client, file: file, line: line)
        XCTAssertEqual(engine.state, .closed, file: file, line: line)
        // Anything after is ignored.
        XCTAssertEqual(engine.feed(frame(1, Array("late".utf8), masked: engine.role == .server)).events, [], file: file, line: line)
        XCTAssertNil(engine.takeOutput(), file: file, line: line)
    }

    func testMaskingRules() {
        assertFails(server(), frame(1, Array("hi".utf8), masked: false), 1002)
        assertFails(client(), frame(1, Array("hi".utf8), masked: true), 1002)
    }

    func testReservedBits() {
        assertFails(server(), frame(1, [0x41], rsv1: true), 1002)          // no deflate negotiated
        assertFails(server(), frame(1, [0x41], rsv2: true), 1002)
        assertFails(server(), frame(1, [0x41], rsv3: true), 1002)
        assertFails(server(deflate: deflate), frame(1, [0x41], rsv2: true), 1002)
        assertFails(server(deflate: deflate), frame(0x9, [], rsv1: true), 1002)   // control frame
        assertFails(server(deflate: deflate), frame(1, [0x41], fin: false) + frame(0, [0x41], rsv1: true), 1002)  // continuation
    }

    func testReservedOpcodes() {
        for op: UInt8 in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            assertFails(server(), frame(op, []), 1002)
        }
    }

    func testControlFrameRules() {
        assertFails(server(), frame(0x9, [UInt8](repeating: 0, count: 126)), 1002)
        assertFails(server(), frame(0x9, [], fin: false), 1002)
        assertFails(server(), frame(0x8, [UInt8](repeating: 0x20, count: 126)), 1002)
        // 125 is fine.
        let s = server()
        XCTAssertEqual(s.feed(frame(0x9, [UInt8](repeating: 1, count: 125))).events.count, 1)
    }

    func testFragmentationRules() {
        assertFails(server(), frame(0, Array("x".utf8)), 1002)                    // continuation without start
        assertFails(server(), frame(1, [0x41], fin: false) + frame(1, [0x42]), 1002)  // new message inside one
        assertFails(server(), frame(2, [0x41], fin: false) + frame(2, [0x42], fin: false), 1002)
        assertFails(server(), frame(1, [0x41], fin: false) + frame(0, [0x42]) + frame(0, [0x43]), 1002)
    }

    func testLengthRules() {
        // 64-bit length with the top bit set.
        assertFails(server(), [0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4], 1002)
        // Over the limit: refused on the header alone, nothing else needs to arrive.
        assertFails(server(max: 1000), [0x82, 0x80 | 126, 0x03, 0xE9, 1, 2, 3, 4], 1009)
        assertFails(server(max: 1000), [0x82, 0x80 | 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4], 1009)
        // Exactly at the limit is fine; the limit counts the whole reassembled message.
        XCTAssertEqual(server(max: 1000).feed(frame(2, [UInt8](repeating: 0, count: 1000))).events.count, 1)
        assertFails(server(max: 1000), frame(2, [UInt8](repeating: 0, count: 600), fin: false) + frame(0, [UInt8](repeating: 0, count: 401)), 1009)
    }

    func testInvalidUTF8FailsFastMidFrame() {
        // Header announces 100 bytes; the 3rd is invalid. Failure must come before the rest arrives.
        var payload = [UInt8](repeating: 0x61, count: 100)
        payload[2] = 0xFF
        let wire = frame(1, payload)
        let s = server()
        let f = s.feed(Array(wire.prefix(6 + 5)))  // 2 header + 4 mask + 5 payload bytes
        XCTAssertEqual(f.outcome, .failed(code: 1007))
        XCTAssertEqual(f.events, [])
    }

    func testTruncatedUTF8AtEndOfMessage() {
        assertFails(server(), frame(1, [0x61, 0xE2, 0x82]), 1007)
        assertFails(server(), frame(1, [0x61, 0xE2], fin: false) + frame(0, [0x82]), 1007)
        // But split across fragments and completed, it is fine.
        XCTAssertEqual(server().feed(frame(1, [0x61, 0xE2], fin: false) + frame(0, [0x82, 0xAC])).events, [.text([0x61, 0xE2, 0x82, 0xAC])])
    }

    func testClosePayloadRules() {
        assertFails(server(), frame(0x8, [0x03]), 1002)                          // 1 byte
        assertFails(server(), frame(0x8, [0x03, 0xEC]), 1002)                    // 1004
        assertFails(server(), frame(0x8, [0x03, 0xE8, 0xFF]), 1007)              // bad reason
        assertFails(server(), frame(0x8, [0x03, 0xE8, 0xCE, 0xBA, 0xE1]), 1007) // truncated reason
    }

    func testCloseCodeValidityTable() {
        let valid: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
        let invalid: [UInt16] = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
        for code in valid {
            XCTAssertTrue(WebSocketCloseCode.isValidOnWire(code), "\(code)")
            let s = server()
            let f = s.feed(frame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array("bye".utf8)))
            XCTAssertEqual(f.outcome, .closed(code: code))
            XCTAssertEqual(f.events, [.close(code: code, reason: "bye")])
            XCTAssertEqual(s.takeOutput(), closeFrame(code), "echoes the code")
        }
        for code in invalid {
            XCTAssertFalse(WebSocketCloseCode.isValidOnWire(code), "\(code)")
            assertFails(server(), frame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)]), 1002)
        }
    }

    func testEmptyCloseAnsweredWithEmptyClose() {
        let s = server()
        let f = s.feed(frame(0x8, []))
        XCTAssertEqual(f.outcome, .closed(code: nil))
        XCTAssertEqual(f.events, [.close(code: nil, reason: "")])
        XCTAssertEqual(s.takeOutput(), [0x88, 0x00])
        XCTAssertEqual(s.state, .closed)
    }

    func testLocallyInitiatedClose() {
        let s = server()
        XCTAssertEqual(s.encodeClose(code: 1001, reason: "restart"), [0x88, 9, 0x03, 0xE9] + Array("restart".utf8))
        XCTAssertEqual(s.state, .closing)
        XCTAssertEqual(s.encodeText("no"), [], "no data after our Close")
        XCTAssertEqual(s.encodeClose(), [])
        // Data still arrives and is delivered; pings are not answered any more.
        let g = s.feed(frame(1, Array("in flight".utf8)) + frame(0x9, []))
        XCTAssertEqual(g.events, [.text(Array("in flight".utf8)), .ping([])])
        XCTAssertNil(s.takeOutput())
        let f = s.feed(frame(0x8, [0x03, 0xE8]))
        XCTAssertEqual(f.outcome, .closed(code: 1000))
        XCTAssertNil(s.takeOutput(), "no second Close")
        XCTAssertEqual(s.state, .closed)
    }

    func testCloseReasonTruncatedOnUTF8Boundary() {
        let reason = String(repeating: "é", count: 100)  // 200 bytes
        let frames = decodeFrames(server().encodeClose(code: 1000, reason: reason))
        XCTAssertEqual(frames[0].payload.count, 2 + 122)
        XCTAssertTrue(UTF8Validator.isValid(Array(frames[0].payload.dropFirst(2))))
    }

    func testEventsBeforeErrorAreDelivered() {
        let f = server().feed(frame(1, Array("ok".utf8)) + frame(0x9, [1]) + frame(3, []))
        XCTAssertEqual(f.events, [.text(Array("ok".utf8)), .ping([1])])
        XCTAssertEqual(f.outcome, .failed(code: 1002))
    }
}
