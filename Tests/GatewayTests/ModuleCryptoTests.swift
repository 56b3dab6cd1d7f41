@testable import Gateway
import XCTest

final class ModuleCryptoTests: XCTestCase {
    let crypto = OpenSSLCrypto()

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func testDigestsMatchPublishedVectors() {
        XCTAssertEqual(hex(crypto.sha256(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // RFC 2202 test case 2 and RFC 4231 test case 2.
        XCTAssertEqual(hex(crypto.hmacSHA1(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))),
                       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        XCTAssertEqual(hex(crypto.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testRandomnessAndComparison() {
        XCTAssertEqual(crypto.randomBytes(32).count, 32)
        XCTAssertNotEqual(crypto.randomBytes(16), crypto.randomBytes(16))
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let n = crypto.randomInteger(below: 10)
            XCTAssertTrue((0..<10).contains(n))
            seen.insert(n)
        }
        XCTAssertEqual(seen.count, 10)
        XCTAssertTrue(crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(crypto.constantTimeEquals([1, 2], [1, 2, 3]))
        XCTAssertEqual(crypto.base64Decode(crypto.base64Encode([0, 255, 1])), [0, 255, 1])
        XCTAssertNil(crypto.base64Decode("%%%"))
    }
}
