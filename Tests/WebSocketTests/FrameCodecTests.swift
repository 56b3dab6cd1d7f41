import XCTest
@testable import WebSocket

final class FrameCodecTests: XCTestCase {
    func testHeaderLengthForms() {
        for (length, header) in [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10), (70_000, 10)] {
            let payload = [UInt8](repeating: 0x41, count: length)
            let unmasked = WebSocketFrame.encode(opcode: .binary, payload: payload)
            XCTAssertEqual(unmasked.count, header + length, "length \(length)")
            XCTAssertEqual(decodeFrames(unmasked), [DecodedFrame(fin: true, rsv1: false, opcode: 2, masked: false, payload: payload)])
            let masked = WebSocketFrame.encode(opcode: .binary, payload: payload, maskKey: 0x1234_5678)
            XCTAssertEqual(masked.count, header + 4 + length)
            XCTAssertEqual(decodeFrames(masked), [DecodedFrame(fin: true, rsv1: false, opcode: 2, masked: true, payload: payload)])
            // The shared test encoder agrees byte for byte on the header.
            XCTAssertEqual(Array(unmasked.prefix(header)), Array(frame(2, payload, masked: false).prefix(header)))
        }
        XCTAssertEqual(WebSocketFrame.encode(opcode: .text, payload: Array("Hello".utf8)), [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    /// RFC 6455 §5.7 example: a masked "Hello".
    func testRFCMaskedExample() {
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        XCTAssertEqual(frame(1, Array("Hello".utf8)), bytes)
        let f = server().feed(bytes)
        XCTAssertEqual(f.events, [.text(Array("Hello".utf8))])
        XCTAssertEqual(f.outcome, .ok)
    }

    /// The 8-bytes-at-a-time unmasking must match the per-byte definition at every phase and length.
    func testMaskAgreesWithDefinitionAtEveryPhase() {
        let key: [UInt8] = [0xA1, 0x02, 0xF3, 0x44]
        let keyWord = key.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let data = pseudoRandomBytes(67)
        for phase in 0..<4 {
            for length in 0...data.count {
                var buffer = Array(data.prefix(length))
                buffer.withUnsafeMutableBytes { WebSocketFrame.applyMask(key: keyWord, phase: phase, to: $0) }
                let expected = (0..<length).map { data[$0] ^ key[($0 + phase) % 4] }
                XCTAssertEqual(buffer, expected, "phase \(phase) length \(length)")
            }
        }
    }

    func testRoundTripThroughEnginesAllLengthsAndSplits() {
        for length in [0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, 100_000] {
            let payload = pseudoRandomBytes(length, seed: UInt64(length) + 1)
            let c = client(), s = server()
            let toServer = c.encodeBinary(payload)
            XCTAssertEqual(s.feed(toServer).events, [.binary(payload)], "client->server \(length)")
            let toClient = s.encodeBinary(payload)
            XCTAssertEqual(c.feed(toClient).events, [.binary(payload)], "server->client \(length)")
        }
        // Byte-by-byte delivery crosses every header and mask boundary.
        let payload = pseudoRandomBytes(300)
        let wire = client().encodeBinary(payload) + client().encodeText("hi")
        let f = server().feed(wire, chunk: 1)
        XCTAssertEqual(f.events, [.binary(payload), .text(Array("hi".utf8))])
        // Odd chunk sizes split payloads at every mask phase.
        for size in [2, 3, 5, 7, 13] {
            XCTAssertEqual(server().feed(wire, chunk: size).events, [.binary(payload), .text(Array("hi".utf8))], "chunk \(size)")
        }
    }

    /// A frame written in place (the caller appends the payload after a header placeholder) is byte for byte the frame
    /// `encodeText` makes: every length form, masked in client role, compressed above the threshold.
    func testTextWrittenInPlaceEqualsEncodedText() {
        for length in [0, 1, 125, 126, 127, 65535, 65536, 70000] {
            let text = String(repeating: "a", count: length)
            XCTAssertEqual(server().encodeText(writing: { $0.append(contentsOf: text.utf8) }), server().encodeText(text),
                           "length \(length)")
            let masked = client().encodeText(writing: { $0.append(contentsOf: text.utf8) })
            XCTAssertEqual(server().feed(masked).events, [.text(Array(text.utf8))], "client length \(length)")
        }
        let d = NegotiatedDeflate(serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15,
                                  clientMaxWindowBits: 12)
        let json = String(decoding: pseudoRandomBytes(64).map { 0x61 + $0 % 4 }, as: UTF8.self)
        let text = String(repeating: json, count: 40)
        let s = server(deflate: d, config: PerMessageDeflateConfiguration())
        let frame = s.encodeText(writing: { $0.append(contentsOf: text.utf8) })
        XCTAssertTrue(decodeFrames(frame)[0].rsv1)
        XCTAssertEqual(client(deflate: d).feed(frame).events, [.text(Array(text.utf8))])
    }

    func testClientMasksWithFreshKeysServerDoesNot() {
        let c = client(), s = server()
        let a = c.encodeText("same"), b = c.encodeText("same")
        XCTAssertTrue(decodeFrames(a)[0].masked)
        XCTAssertNotEqual(Array(a[2..<6]), Array(b[2..<6]), "mask keys should differ (2^-32 flake odds)")
        XCTAssertFalse(decodeFrames(s.encodeText("x"))[0].masked)
    }

    /// §5.2 asks senders for the minimal length form but receivers are not told to reject others.
    func testNonMinimalLengthsAccepted() {
        let key: [UInt8] = [1, 2, 3, 4]
        let payload = Array("abc".utf8)
        let masked = (0..<3).map { payload[$0] ^ key[$0] }
        let form16: [UInt8] = [0x81, 0x80 | 126, 0, 3] + key + masked
        let form64: [UInt8] = [0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 3] + key + masked
        XCTAssertEqual(server().feed(form16).events, [.text(payload)])
        XCTAssertEqual(server().feed(form64).events, [.text(payload)])
    }

    func testFragmentationWithInterleavedPing() {
        let s = server()
        let wire = frame(1, Array("Hel".utf8), fin: false) + frame(0x9, Array("p".utf8)) + frame(0, Array("l".utf8), fin: false)
            + frame(0xA, []) + frame(0, Array("o".utf8))
        let f = s.feed(wire)
        XCTAssertEqual(f.events, [.ping(Array("p".utf8)), .pong([]), .text(Array("Hello".utf8))])
        XCTAssertEqual(decodeFrames(s.takeOutput() ?? []), [DecodedFrame(fin: true, rsv1: false, opcode: 0xA, masked: false, payload: Array("p".utf8))])
        XCTAssertNil(s.takeOutput())
        // Binary fragments, including empty ones.
        let g = s.feed(frame(2, [1], fin: false) + frame(0, [], fin: false) + frame(0, [2, 3]))
        XCTAssertEqual(g.events, [.binary([1, 2, 3])])
    }

    func testClientPongIsMasked() {
        let c = client()
        XCTAssertEqual(c.feed(frame(0x9, [7, 8], masked: false)).events, [.ping([7, 8])])
        let out = decodeFrames(c.takeOutput() ?? [])
        XCTAssertEqual(out, [DecodedFrame(fin: true, rsv1: false, opcode: 0xA, masked: true, payload: [7, 8])])
    }
}
