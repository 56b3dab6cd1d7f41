import GatewayProtocol
import XCTest

final class CodableBridgeTests: XCTestCase {
    struct Message: Codable, Equatable {
        let chatRoomId: String
        let message: String
        var messageType: String?
        var replyTo: Reply?
        var metadata: JSONValue?
        struct Reply: Codable, Equatable { let id: Int }
    }

    func testDecodesATypedPayloadAndIgnoresExtraKeys() throws {
        let value: JSONValue = ["chatRoomId": "r1", "message": "hi", "replyTo": ["id": 7], "metadata": ["a": [1, 2]],
                                "extra": true]
        let decoded = try JSONValueDecoder().decode(Message.self, from: value)
        XCTAssertEqual(decoded, Message(chatRoomId: "r1", message: "hi", replyTo: .init(id: 7), metadata: ["a": [1, 2]]))
    }

    func testErrorsNameTheField() {
        func message(_ value: JSONValue) -> String? {
            do { _ = try JSONValueDecoder().decode(Message.self, from: value); return nil } catch { return error.message }
        }
        XCTAssertEqual(message(["message": "hi"]), "chatRoomId is required")
        XCTAssertEqual(message(["chatRoomId": 5, "message": "hi"]), "chatRoomId: expected a string, got a number")
        XCTAssertEqual(message(["chatRoomId": "r", "message": "hi", "replyTo": ["id": "x"]]),
                       "replyTo.id: expected an integer, got a string")
        XCTAssertEqual(message(["chatRoomId": "r", "message": "hi", "replyTo": ["id": 1.5]]),
                       "replyTo.id: expected an integer, got a number")
        XCTAssertEqual(message("text"), "payload: expected an object, got a string")
        XCTAssertEqual(message(["chatRoomId": nil, "message": "hi"]), "chatRoomId: must not be null")
    }

    func testNullOptionalIsAbsentAndIntegralDoublesAreIntegers() throws {
        let decoded = try JSONValueDecoder().decode(Message.self, from: ["chatRoomId": "r", "message": "m", "messageType": nil,
                                                                          "replyTo": ["id": 3.0]])
        XCTAssertNil(decoded.messageType)
        XCTAssertEqual(decoded.replyTo?.id, 3)
    }

    func testArraysReportTheIndex() {
        XCTAssertThrowsError(try JSONValueDecoder().decode([Int].self, from: [1, 2, "three"])) { error in
            XCTAssertEqual((error as? PayloadError)?.field, "[2]")
        }
    }

    func testEncodesInDeclarationOrderAndOmitsNil() throws {
        let value = try JSONValueEncoder().encode(Message(chatRoomId: "r", message: "m", replyTo: .init(id: 1)))
        var bytes: [UInt8] = []
        value.serialize(into: &bytes)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), #"{"chatRoomId":"r","message":"m","replyTo":{"id":1}}"#)
    }

    func testRefusesNonFiniteNumbers() {
        XCTAssertThrowsError(try JSONValueEncoder().encode(["x": Double.nan])) { error in
            XCTAssertEqual((error as? PayloadError)?.field, "x")
        }
    }

    func testRoundTripsThroughFoundationFreeCoders() throws {
        let original = Message(chatRoomId: "방", message: "안녕", messageType: "text", metadata: ["n": 1.25, "list": [nil, true]])
        let decoded = try JSONValueDecoder().decode(Message.self, from: try JSONValueEncoder().encode(original))
        XCTAssertEqual(decoded, original)
    }

    func testContractVersionSupportRule() {
        XCTAssertTrue(ContractVersion.isSupported(ContractVersion.current))
        XCTAssertTrue(ContractVersion.isSupported(ContractVersion(major: ContractVersion.current.major, minor: 0)))
        XCTAssertFalse(ContractVersion.isSupported(ContractVersion(major: ContractVersion.current.major,
                                                                   minor: ContractVersion.current.minor + 1)))
        XCTAssertFalse(ContractVersion.isSupported(ContractVersion(major: ContractVersion.current.major + 1, minor: 0)))
    }
}
