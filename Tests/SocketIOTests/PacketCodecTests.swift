import GatewayProtocol
import SocketIO
import XCTest

final class PacketCodecTests: XCTestCase {
    private func text(_ message: EngineMessage) -> String? {
        if case .text(let bytes) = message { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    func testEncodingIsByteExactForEveryPacketType() throws {
        let cases: [(SocketIOPacket, String)] = [
            (SocketIOPacket(type: .connect, data: ["sid": "abc"]), "0{\"sid\":\"abc\"}"),
            (SocketIOPacket(type: .connect, nsp: "/admin", data: ["sid": "abc", "pid": "p1"]), "0/admin,{\"sid\":\"abc\",\"pid\":\"p1\"}"),
            (SocketIOPacket(type: .connect, nsp: "/"), "0"),
            (SocketIOPacket(type: .disconnect), "1"),
            (SocketIOPacket(type: .disconnect, nsp: "/admin"), "1/admin,"),
            (SocketIOPacket(type: .event, data: ["hello", 1]), "2[\"hello\",1]"),
            (SocketIOPacket(type: .event, nsp: "/admin", id: 456, data: ["project:delete", 123]), "2/admin,456[\"project:delete\",123]"),
            (SocketIOPacket(type: .ack, id: 456, data: []), "3456[]"),
            (SocketIOPacket(type: .ack, nsp: "/admin", id: 13, data: ["a"]), "3/admin,13[\"a\"]"),
            (SocketIOPacket(type: .connectError, data: ["message": "Not authorized", "data": ["code": 3]]),
             "4{\"message\":\"Not authorized\",\"data\":{\"code\":3}}"),
            (SocketIOPacket(type: .connectError, nsp: "/random", data: ["message": "Invalid namespace"]),
             "4/random,{\"message\":\"Invalid namespace\"}"),
        ]
        for (packet, expected) in cases {
            let messages = packet.encode()
            XCTAssertEqual(messages.count, 1)
            XCTAssertEqual(text(messages[0]), expected)
        }
    }

    func testBinaryPacketsEncodeWithPlaceholdersAndAttachments() {
        var args = SocketIOArguments()
        args.append("e")
        args.appendBinary([1, 2, 3])
        let event = SocketIOPacket(type: .event, data: .array(args.values), attachments: args.attachments)
        XCTAssertEqual(event.encode(), [EngineMessage.text(Array("51-[\"e\",{\"_placeholder\":true,\"num\":0}]".utf8)), .binary([1, 2, 3])])
        let ack = SocketIOPacket(type: .ack, nsp: "/admin", id: 456,
                                 data: [SocketIOPacket.placeholder(0), SocketIOPacket.placeholder(1)], attachments: [[1], [2]])
        XCTAssertEqual(text(ack.encode()[0]), "62-/admin,456[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]")
        XCTAssertEqual(ack.encode().count, 3)
    }

    func testDecodingEveryPacketType() throws {
        var decoder = SocketIODecoder()
        func decode(_ s: String) throws -> SocketIOPacket? { try decoder.add(.text(Array(s.utf8))) }
        XCTAssertEqual(try decode("0"), SocketIOPacket(type: .connect))
        XCTAssertEqual(try decode("0{\"token\":\"123\"}"), SocketIOPacket(type: .connect, data: ["token": "123"]))
        XCTAssertEqual(try decode("0/custom,"), SocketIOPacket(type: .connect, nsp: "/custom"))
        XCTAssertEqual(try decode("0/custom"), SocketIOPacket(type: .connect, nsp: "/custom"))
        XCTAssertEqual(try decode("0/custom,{\"token\":\"abc\"}"), SocketIOPacket(type: .connect, nsp: "/custom", data: ["token": "abc"]))
        XCTAssertEqual(try decode("1"), SocketIOPacket(type: .disconnect))
        XCTAssertEqual(try decode("1/custom"), SocketIOPacket(type: .disconnect, nsp: "/custom"))
        XCTAssertEqual(try decode("2[\"message\",1,\"2\",{\"3\":[true]}]"),
                       SocketIOPacket(type: .event, data: ["message", 1, "2", ["3": [true]]]))
        XCTAssertEqual(try decode("2456[\"m\"]"), SocketIOPacket(type: .event, id: 456, data: ["m"]))
        XCTAssertEqual(try decode("2/admin,456[\"m\"]"), SocketIOPacket(type: .event, nsp: "/admin", id: 456, data: ["m"]))
        XCTAssertEqual(try decode("2[1,\"x\"]"), SocketIOPacket(type: .event, data: [1, "x"]))
        XCTAssertEqual(try decode("3456[]"), SocketIOPacket(type: .ack, id: 456, data: []))
        XCTAssertEqual(try decode("4{\"message\":\"x\"}"), SocketIOPacket(type: .connectError, data: ["message": "x"]))
        // Binary: the header waits for its attachments, then comes out as EVENT / ACK.
        XCTAssertNil(try decode("52-789[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"))
        XCTAssertTrue(decoder.isReconstructing)
        XCTAssertNil(try decoder.add(.binary([1, 2, 3])))
        let event = try decoder.add(.binary([4, 5, 6]))
        XCTAssertEqual(event?.type, .event)
        XCTAssertEqual(event?.id, 789)
        XCTAssertEqual(event?.attachments, [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(event?.data?[1], SocketIOPacket.placeholder(0))
        XCTAssertNil(try decode("61-/admin,12[{\"_placeholder\":true,\"num\":0}]"))
        let ack = try decoder.add(.binary([9]))
        XCTAssertEqual(ack, SocketIOPacket(type: .ack, nsp: "/admin", id: 12, data: [SocketIOPacket.placeholder(0)], attachments: [[9]]))
        XCTAssertEqual(try decode("50-[\"m\"]"), SocketIOPacket(type: .event, data: ["m"]))
    }

    func testInvalidPacketsAreRefused() {
        let table: [(String, String)] = [
            ("", "unknown packet type"), ("7", "unknown packet type"), ("abc", "unknown packet type"),
            ("4abc", "invalid payload"), ("2{}", "invalid payload"),
            ("42abc[\"message-with-ack\",1]", "invalid payload"), ("2[\"connect\"]", "invalid payload"),
            ("2[\"disconnecting\"]", "invalid payload"), ("2[]", "invalid payload"), ("2[null]", "invalid payload"),
            ("2", "invalid payload"), ("0[]", "invalid payload"), ("0\"x\"", "invalid payload"), ("1{}", "invalid payload"),
            ("3{}", "invalid payload"), ("4", "invalid payload"), ("4[1]", "invalid payload"), ("2[\"a\",]", "invalid payload"),
            ("5[\"a\"]", "Illegal attachments"), ("5-[\"a\"]", "Illegal attachments"), ("5x-[\"a\"]", "Illegal attachments"),
            ("511-[\"a\"]", "too many attachments"), ("21234567890123456[\"a\"]", "invalid ack id"),
        ]
        for (input, message) in table {
            var decoder = SocketIODecoder()
            XCTAssertThrowsError(try decoder.add(.text(Array(input.utf8))), input) { error in
                XCTAssertEqual((error as? SocketIOParseError)?.message, message, input)
            }
        }
    }

    func testBinarySequencingAndPlaceholderChecks() throws {
        var decoder = SocketIODecoder()
        XCTAssertThrowsError(try decoder.add(.binary([1]))) {
            XCTAssertEqual(($0 as? SocketIOParseError)?.message, "got binary data when not reconstructing a packet")
        }
        XCTAssertNil(try decoder.add(.text(Array("51-[\"a\",{\"_placeholder\":true,\"num\":0}]".utf8))))
        XCTAssertThrowsError(try decoder.add(.text(Array("2[\"a\"]".utf8)))) {
            XCTAssertEqual(($0 as? SocketIOParseError)?.message, "got plaintext data when reconstructing a packet")
        }
        for bad in ["{\"_placeholder\":true,\"num\":1}", "{\"_placeholder\":true,\"num\":-1}", "{\"_placeholder\":true}",
                    "{\"_placeholder\":true,\"num\":\"0\"}", "[{\"x\":{\"_placeholder\":true,\"num\":0.5}}]"] {
            var decoder = SocketIODecoder()
            XCTAssertNil(try decoder.add(.text(Array("51-[\"a\",\(bad)]".utf8))))
            XCTAssertThrowsError(try decoder.add(.binary([1])), bad) {
                XCTAssertEqual(($0 as? SocketIOParseError)?.message, "illegal attachments")
            }
        }
        var limited = SocketIODecoder(maxAttachments: 2)
        XCTAssertThrowsError(try limited.add(.text(Array("53-[\"a\"]".utf8))))
    }
}
