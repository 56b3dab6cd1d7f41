@testable import EngineIO
import Foundation
import XCTest

final class EngineIOCodecTests: XCTestCase {
    func testOpenPacketIsByteExact() {
        let json = EngineIOCodec.openPacketJSON(sid: "abcdefghij-_0123456A", upgrades: ["websocket"], pingInterval: 25000,
                                                pingTimeout: 20000, maxPayload: 1_000_000)
        var out: [UInt8] = []
        EngineIOCodec.appendPollingPacket(.open(json), to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       #"0{"sid":"abcdefghij-_0123456A","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
        let none = EngineIOCodec.openPacketJSON(sid: "s", upgrades: [], pingInterval: 300, pingTimeout: 200, maxPayload: 10)
        XCTAssertEqual(String(decoding: none, as: UTF8.self),
                       #"{"sid":"s","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":10}"#)
    }

    func testPayloadJoinsPacketsWithRecordSeparator() {
        let payload = EngineIOCodec.encodePayload([.message(.text("hello")), .message(.binary([1, 2, 3, 4])), .ping([]),
                                                   .pong(Array("probe".utf8)), .noop, .close, .upgrade])
        XCTAssertEqual(String(decoding: payload, as: UTF8.self), "4hello\u{1e}bAQIDBA==\u{1e}2\u{1e}3probe\u{1e}6\u{1e}1\u{1e}5")
    }

    func testPayloadRoundTrip() {
        let packets: [EngineIOPacket] = [.message(.text("héllo ✓")), .message(.binary([0, 255, 7])), .message(.text("")),
                                         .pong([]), .ping(Array("probe".utf8)), .noop, .upgrade, .close]
        let decoded = EngineIOCodec.decodePayload(EngineIOCodec.encodePayload(packets))
        XCTAssertFalse(decoded.failed)
        XCTAssertEqual(decoded.packets, packets)
    }

    func testDecodeStopsAtTheFirstBadPacket() {
        XCTAssertTrue(EngineIOCodec.decodePayload(Array("abc".utf8)).failed)
        let partial = EngineIOCodec.decodePayload(Array("4ok\u{1e}x\u{1e}4never".utf8))
        XCTAssertEqual(partial.packets, [.message(.text("ok"))])
        XCTAssertTrue(partial.failed)
        XCTAssertTrue(EngineIOCodec.decodePayload([]).failed, "an empty payload is an empty packet: a parse error")
        XCTAssertTrue(EngineIOCodec.decodePayload(Array("4a\u{1e}".utf8)).failed)
        XCTAssertTrue(EngineIOCodec.decodePayload([UInt8(ascii: "4"), 0xFF, 0xFE]).failed, "text must be UTF-8")
    }

    func testWebSocketForm() {
        XCTAssertEqual(EngineIOCodec.encodeWebSocket(.message(.binary([1, 2]))).binary, true)
        XCTAssertEqual(EngineIOCodec.encodeWebSocket(.message(.binary([1, 2]))).payload, [1, 2])
        XCTAssertEqual(String(decoding: EngineIOCodec.encodeWebSocket(.message(.text("hi"))).payload, as: UTF8.self), "4hi")
        XCTAssertEqual(EngineIOCodec.decodeTextPacket(Array("2probe".utf8)[...]), .ping(Array("probe".utf8)))
        XCTAssertEqual(EngineIOCodec.decodeTextPacket(Array("bAQID".utf8)[...]), .message(.binary([1, 2, 3])))
        XCTAssertNil(EngineIOCodec.decodeTextPacket(Array("9".utf8)[...]))
        XCTAssertNil(EngineIOCodec.decodeTextPacket([][...]))
    }

    func testBase64MatchesFoundationAndDecodesLeniently() {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let expected = Data(bytes).base64EncodedString()
            XCTAssertEqual(EngineIOBase64.encode(bytes), expected)
            XCTAssertEqual(EngineIOBase64.decode(Array(expected.utf8)), bytes)
        }
        // URL-safe alphabet, missing padding and stray characters, as Node's Buffer.from(s, "base64").
        XCTAssertEqual(EngineIOBase64.decode(Array("-_8".utf8)), [0xFB, 0xFF])
        XCTAssertEqual(EngineIOBase64.decode(Array("AQ ID\nBA".utf8)), [1, 2, 3, 4])
    }

    func testSidsAreFifteenURLSafeCharactersAndUnique() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var seen = Set<String>()
        for _ in 0..<1000 {
            let sid = EngineIOSid.generate()
            XCTAssertEqual(sid.count, 15)
            XCTAssertTrue(sid.allSatisfy { alphabet.contains($0) }, sid)
            seen.insert(sid)
        }
        XCTAssertEqual(seen.count, 1000)
    }

    func testErrorBodiesMatchTheOfficialServer() {
        let expected: [(EngineIOError, Int, String)] = [
            (.unknownTransport, 400, #"{"code":0,"message":"Transport unknown"}"#),
            (.unknownSid, 400, #"{"code":1,"message":"Session ID unknown"}"#),
            (.badHandshakeMethod, 400, #"{"code":2,"message":"Bad handshake method"}"#),
            (.badRequest, 400, #"{"code":3,"message":"Bad request"}"#),
            (.forbidden, 403, #"{"code":4,"message":"Forbidden"}"#),
            (.unsupportedProtocolVersion, 400, #"{"code":5,"message":"Unsupported protocol version"}"#),
            (EngineIOError(code: 4, message: "bad \"origin\""), 403, #"{"code":4,"message":"bad \"origin\""}"#),
        ]
        for (error, status, body) in expected {
            XCTAssertEqual(error.httpStatus, status)
            XCTAssertEqual(String(decoding: error.jsonBody, as: UTF8.self), body)
            XCTAssertEqual(error.response.headers["Content-Type"], "application/json")
        }
    }

    func testPreparedMessageEncodesOnce() {
        let text = EngineIOPreparedMessage(.text("hi"))
        XCTAssertEqual(String(decoding: text.pollingEncoding, as: UTF8.self), "4hi")
        XCTAssertEqual(text.webSocket.frame, [0x81, 3] + Array("4hi".utf8))
        let binary = EngineIOPreparedMessage(.binary([1, 2, 3, 4]))
        XCTAssertEqual(String(decoding: binary.pollingEncoding, as: UTF8.self), "bAQIDBA==")
        XCTAssertEqual(binary.webSocket.frame, [0x82, 4, 1, 2, 3, 4])
    }

    func testConfigurationNormalisesThePath() {
        XCTAssertEqual(EngineIOConfiguration(path: "/engine.io").path, "/engine.io/")
        XCTAssertEqual(EngineIOConfiguration().path, "/socket.io/")
        let defaults = EngineIOConfiguration()
        XCTAssertEqual([defaults.pingIntervalMs, defaults.pingTimeoutMs, defaults.maxPayload, defaults.upgradeTimeoutMs],
                       [25000, 20000, 1_000_000, 10000])
        XCTAssertFalse(defaults.perMessageDeflate)
        XCTAssertTrue(defaults.httpCompression)
    }
}
