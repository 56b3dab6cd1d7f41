import XCTest
@testable import WebSocket

final class UTF8ValidatorTests: XCTestCase {
    func testTable() {
        let valid: [[UInt8]] = [
            [], [0x00], [0x7F], Array("hello".utf8),
            [0xC2, 0x80], [0xDF, 0xBF],                           // U+0080, U+07FF
            [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],               // U+0800, U+D7FF
            [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],               // U+E000, U+FFFF
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],   // U+10000, U+10FFFF
            Array("κόσμε 𝄞 €".utf8),
        ]
        let invalid: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF],           // lone continuation, overlong 2-byte
            [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],               // overlong 3-byte
            [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],   // overlong 4-byte
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],               // surrogates U+D800, U+DFFF
            [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80],                 // surrogate pair encoded as CESU-8
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],   // > U+10FFFF
            [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF],
            [0xC2], [0xE2, 0x82], [0xF0, 0x9D, 0x84],             // truncated
            [0xC2, 0x41], [0xE2, 0x41, 0x82],                     // interrupted
            Array("κόσμε".utf8) + [0xED, 0xA0, 0x80] + Array("edited".utf8),  // Autobahn 6.3.1
        ]
        for v in valid { XCTAssertTrue(UTF8Validator.isValid(v), "\(v)") }
        for v in invalid { XCTAssertFalse(UTF8Validator.isValid(v), "\(v)") }
    }

    /// Exhaustive over 1- and 2-byte inputs and every 3-byte input starting E0/ED/EF, plus 4-byte inputs
    /// around the F0/F4 edges, against the standard library's validating decoder.
    func testAgreesWithStandardLibrary() {
        func check(_ bytes: [UInt8]) {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            if UTF8Validator.isValid(bytes) != expected { XCTFail("\(bytes.map { String($0, radix: 16) })"); return }
        }
        for a in 0...255 { check([UInt8(a)]) }
        for a in 0...255 { for b in 0...255 { check([UInt8(a), UInt8(b)]) } }
        for a: UInt8 in [0xE0, 0xED, 0xEF] { for b in 0...255 { for c: UInt8 in [0x41, 0x80, 0xBF, 0xC0] { check([a, UInt8(b), c]) } } }
        for a: UInt8 in [0xF0, 0xF3, 0xF4, 0xF5] { for b in 0...255 { check([a, UInt8(b), 0x80, 0x80]) } }
        for a: UInt8 in [0xF0, 0xF4] { for c in 0...255 { check([a, 0x90, UInt8(c), 0x80]); check([a, 0x8F, 0x80, UInt8(c)]) } }
    }

    /// Fail-fast: the validator must stop at the first bad byte, whatever follows.
    func testFailsAtFirstInvalidByte() {
        var v = UTF8Validator()
        XCTAssertTrue(v.validate(Array("abc".utf8) + [0xE2, 0x82]))
        XCTAssertFalse(v.isAtBoundary)
        XCTAssertFalse(v.validate([0x41]))
        XCTAssertTrue(v.hasFailed)
        XCTAssertFalse(v.validate(Array("anything".utf8)), "failure is sticky")
    }

    func testASCIIFastPathBoundaries() {
        // Multi-byte sequences at every offset relative to the 8-byte stride.
        for offset in 0..<17 {
            let ascii = [UInt8](repeating: 0x61, count: offset)
            XCTAssertTrue(UTF8Validator.isValid(ascii + [0xF0, 0x9F, 0x98, 0x80] + ascii))
            XCTAssertFalse(UTF8Validator.isValid(ascii + [0xF0, 0x9F, 0x98] + ascii))
            XCTAssertFalse(UTF8Validator.isValid(ascii + [0x80] + ascii))
        }
    }

    /// Text split at every byte position into two fragments, through the engine.
    func testSplitAtEveryPositionAcrossFragments() {
        let good = Array("aé€𝄞z κόσμε".utf8)
        for i in 0...good.count {
            let wire = frame(1, Array(good[..<i]), fin: false) + frame(0, Array(good[i...]))
            XCTAssertEqual(server().feed(wire).events, [.text(good)], "split at \(i)")
        }
        // Invalid (surrogate at byte 6): the first fragment fails if it contains the bad byte, else the second.
        let bad = Array("abcde".utf8) + [0xED, 0xA0, 0x80] + Array("xyz".utf8)
        let firstBad = 6
        for i in 0...bad.count {
            let s = server()
            let first = s.feed(frame(1, Array(bad[..<i]), fin: false))
            if i > firstBad {
                XCTAssertEqual(first.outcome, .failed(code: 1007), "split at \(i)")
            } else {
                XCTAssertEqual(first.outcome, .ok, "split at \(i)")
                XCTAssertEqual(s.feed(frame(0, Array(bad[i...]))).outcome, .failed(code: 1007), "split at \(i)")
            }
        }
        // Split into three single-byte-ish fragments inside one code point.
        let three = frame(1, [0xF0], fin: false) + frame(0, [0x9D, 0x84], fin: false) + frame(0, [0x9E])
        XCTAssertEqual(server().feed(three).events, [.text([0xF0, 0x9D, 0x84, 0x9E])])
    }
}
