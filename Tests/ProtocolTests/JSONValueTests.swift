import GatewayProtocol
import XCTest

final class JSONValueTests: XCTestCase {
    private func roundTrip(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            return try JSONValue.parse(text).description
        } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
            return nil
        }
    }

    /// Documents that must come back byte for byte as `JSON.stringify(JSON.parse(text))` writes them.
    func testValidDocumentsSerialiseAsJavaScriptDoes() {
        let table: [(String, String)] = [
            ("null", "null"), ("true", "true"), ("false", "false"), ("0", "0"), ("-0", "0"), ("123", "123"),
            ("-45", "-45"), ("1.5", "1.5"), ("1.0", "1"), ("1e2", "100"), ("1E+2", "100"), ("-1.25e-3", "-0.00125"),
            ("0.1", "0.1"), ("1e21", "1e+21"), ("1e20", "100000000000000000000"), ("1e-7", "1e-7"),
            ("0.000001", "0.000001"), ("123456789.125", "123456789.125"), ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("5e-324", "5e-324"), ("2.5e-10", "2.5e-10"), ("0.1e1", "1"), ("12345678901234567890", "12345678901234567000"),
            ("9223372036854775807", "9223372036854775807"), ("-9223372036854775808", "-9223372036854775808"),
            ("3.141592653589793", "3.141592653589793"), ("1e400", "null"), ("0e500", "0"),
            ("\"\"", "\"\""), ("\"abc\"", "\"abc\""), ("\"a/b\"", "\"a/b\""), ("\"\\/\"", "\"/\""),
            ("\"\\\"\\\\\\b\\f\\n\\r\\t\"", "\"\\\"\\\\\\b\\f\\n\\r\\t\""), ("\"\\u0001\\u001f\"", "\"\\u0001\\u001f\""),
            ("\"\\u00e9\"", "\"é\""), ("\"é日本\"", "\"é日本\""), ("\"\\ud83d\\ude00\"", "\"😀\""), ("\"😀\"", "\"😀\""),
            ("\"\\u2028\"", "\"\u{2028}\""), ("\"\\u007f\"", "\"\u{7f}\""),
            ("[]", "[]"), ("{}", "{}"), (" [ 1 , 2 ,\t3 ]\n", "[1,2,3]"), ("[[[]]]", "[[[]]]"),
            ("{\"b\":1,\"a\":2}", "{\"b\":1,\"a\":2}"), ("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}"),
            ("{ \"k\" : [ true , null , { } ] }", "{\"k\":[true,null,{}]}"),
            ("[\"message\",1,\"2\",{\"3\":[true]}]", "[\"message\",1,\"2\",{\"3\":[true]}]"),
        ]
        for (input, expected) in table {
            XCTAssertEqual(roundTrip(input), expected, "input \(input)")
        }
    }

    func testInvalidDocumentsAreRefused() {
        let table: [(String, JSONError.Kind)] = [
            ("", .unexpectedEnd), (" ", .unexpectedEnd), ("[1,]", .unexpectedCharacter), ("{\"a\":1,}", .unexpectedCharacter),
            ("[1 2]", .unexpectedCharacter), ("{\"a\" 1}", .unexpectedCharacter), ("{a:1}", .unexpectedCharacter),
            ("{'a':1}", .unexpectedCharacter), ("NaN", .unexpectedCharacter), ("Infinity", .unexpectedCharacter),
            ("-Infinity", .invalidNumber), ("01", .invalidNumber), ("-01", .invalidNumber), ("1.", .unexpectedEnd),
            ("1.e3", .invalidNumber), (".5", .unexpectedCharacter), ("+1", .unexpectedCharacter), ("1e", .unexpectedEnd),
            ("1e+", .unexpectedEnd), ("0x10", .trailingCharacters), ("tru", .unexpectedEnd), ("nul", .unexpectedEnd),
            ("truex", .trailingCharacters), ("[1] [2]", .trailingCharacters), ("\"abc", .unexpectedEnd),
            ("\"a\tb\"", .controlCharacter), ("\"a\nb\"", .controlCharacter), ("\"\\x41\"", .invalidEscape),
            ("[\"\\u12\"]", .invalidEscape), ("\"\\u12G4\"", .invalidEscape), ("\"\\", .unexpectedEnd),
            ("[", .unexpectedEnd), ("{", .unexpectedEnd), ("{\"a\":", .unexpectedEnd), ("[1", .unexpectedEnd),
            ("// c\n1", .unexpectedCharacter), ("\u{FEFF}1", .unexpectedCharacter), ("[,1]", .unexpectedCharacter),
        ]
        for (input, kind) in table {
            XCTAssertThrowsError(try JSONValue.parse(input), "input \(input)") { error in
                XCTAssertEqual((error as? JSONError)?.kind, kind, "input \(input)")
            }
        }
    }

    func testInvalidUTF8IsRefused() {
        let documents: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22] /* encoded surrogate */,
            [0x22, 0xC0, 0xAF, 0x22] /* overlong */, [0x22, 0x5C, 0x6E, 0xFE, 0x22] /* after an escape */,
        ]
        for bytes in documents {
            XCTAssertThrowsError(try JSONValue.parse(bytes: bytes)) { error in
                XCTAssertEqual((error as? JSONError)?.kind, .invalidUnicode, "\(bytes)")
            }
        }
    }

    func testSurrogates() throws {
        XCTAssertEqual(try JSONValue.parse("\"\\uD83D\\uDE00x\""), .string("😀x"))
        // Lone halves become U+FFFD by default, or are refused.
        XCTAssertEqual(try JSONValue.parse("\"a\\ud83db\""), .string("a\u{FFFD}b"))
        XCTAssertEqual(try JSONValue.parse("\"\\ude00\""), .string("\u{FFFD}"))
        XCTAssertEqual(try JSONValue.parse("\"\\ud83d\\u0041\""), .string("\u{FFFD}A"))
        XCTAssertThrowsError(try JSONValue.parse("\"\\ud83d\"", options: JSONParseOptions(rejectLoneSurrogates: true)))
    }

    /// Escaped strings are unescaped into scratch sized by a first scan: short and long (stack and heap scratch),
    /// non-ASCII text around escapes, and errors reported at the first fault in document order.
    func testEscapedStringsOfAnyLengthAndTheirFirstError() throws {
        for n in [1, 15, 16, 1023, 1024, 5000] {
            let plain = String(repeating: "a\u{e9}\"", count: n)
            let source = "\"" + String(repeating: "a\u{e9}\\\"", count: n) + "\""
            XCTAssertEqual(try JSONValue.parse(source), .string(plain), "n \(n)")
            XCTAssertEqual(try JSONValue.parse("\"" + String(repeating: "\\u00e9\\n", count: n) + "\""),
                           .string(String(repeating: "\u{e9}\n", count: n)), "n \(n)")
        }
        // Serialised in chunks of 4,096 input bytes: three bytes per repetition put escapes on both sides of each boundary.
        for n in [1, 1365, 1366, 1367, 5000] {
            let value = String(repeating: "a\"\u{1}", count: n)
            XCTAssertEqual(String(decoding: JSONValue.string(value).serialized, as: UTF8.self),
                           "\"" + String(repeating: "a\\\"\\u0001", count: n) + "\"", "n \(n)")
        }
        let errors: [(String, JSONError)] = [
            ("\"\\x\nb\"", JSONError(.invalidEscape, offset: 1)),
            ("\"\\n\nb\"", JSONError(.controlCharacter, offset: 3)),
            ("\"\\n\\u00", JSONError(.unexpectedEnd, offset: 7)),
            ("\"\\nab", JSONError(.unexpectedEnd, offset: 5)),
        ]
        for (input, error) in errors {
            XCTAssertThrowsError(try JSONValue.parse(input), "input \(input)") { XCTAssertEqual($0 as? JSONError, error) }
        }
    }

    func testDeepNestingIsRefusedAtTheLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try JSONValue.parse(ok))
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertThrowsError(try JSONValue.parse(tooDeep)) { XCTAssertEqual(($0 as? JSONError)?.kind, .tooDeep) }
        let objects = String(repeating: "{\"a\":", count: 10) + "1" + String(repeating: "}", count: 10)
        XCTAssertThrowsError(try JSONValue.parse(objects, options: JSONParseOptions(maxDepth: 9)))
        XCTAssertNoThrow(try JSONValue.parse(objects, options: JSONParseOptions(maxDepth: 10)))
        // A hostile document far deeper than any stack allows is refused, not a crash.
        let hostile = String(repeating: "[", count: 1_000_000)
        XCTAssertThrowsError(try JSONValue.parse(hostile))
    }

    func testNumbersKeepIntegersExact() throws {
        XCTAssertEqual(try JSONValue.parse("9007199254740993").intValue, 9_007_199_254_740_993)
        XCTAssertEqual(try JSONValue.parse("-9223372036854775808"), .int(Int.min))
        if case .double(let d) = try JSONValue.parse("9223372036854775808") { XCTAssertEqual(d, 9.223372036854775808e18) } else {
            XCTFail("2^63 does not fit Int")
        }
        if case .int(let i) = try JSONValue.parse("2.5e3") { XCTAssertEqual(i, 2500) } else { XCTFail("integral → int") }
        if case .double(let d) = try JSONValue.parse("0.30000000000000004") { XCTAssertEqual(d, 0.1 + 0.2) } else { XCTFail() }
        XCTAssertEqual(try JSONValue.parse("123.456e-2").doubleValue, 1.23456)
        XCTAssertEqual(try JSONValue.parse("1.00000000000000000000000000001").intValue, 1, "rounds to 1, as in JavaScript")
        XCTAssertEqual(try JSONValue.parse("4.35").doubleValue, 4.35)
        XCTAssertEqual(try JSONValue.parse("2.2250738585072014e-308").doubleValue, 2.2250738585072014e-308)
        // Serialising doubles the JavaScript way.
        let doubles: [(Double, String)] = [
            (0.1 + 0.2, "0.30000000000000004"), (1e21, "1e+21"), (123e-20, "1.23e-18"), (-1.5, "-1.5"), (.nan, "null"),
            (-.infinity, "null"), (-0.0, "0"), (100, "100"), (1e16, "10000000000000000"), (0.000001, "0.000001"),
            (1.5e-7, "1.5e-7"), (2e300, "2e+300"), (123456.789, "123456.789"),
        ]
        for (value, text) in doubles { XCTAssertEqual(JSONValue.double(value).description, text, "\(value)") }
        XCTAssertEqual(JSONValue.int(Int.min).description, "-9223372036854775808")
    }

    /// The serialiser's fast path for short decimals agrees with the general (shortest round-trip) formatting.
    func testShortDecimalFastPathAgreesWithTheGeneralFormatting() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let decimals = Int.random(in: 1...8, using: &generator)
            var scale = 1.0
            for _ in 0..<decimals { scale *= 10 }
            let d = Double(Int.random(in: -10_000_000...10_000_000, using: &generator)) / scale
            var general: [UInt8] = []
            JSONWriter.appendDouble(d, to: &general)
            XCTAssertEqual(JSONValue.double(d).description, String(decoding: general, as: UTF8.self), "\(d)")
            XCTAssertEqual(try JSONValue.parse(bytes: general).doubleValue, d)
        }
        for d in [0.1, 0.2, 0.3, 1.1, 2.675, 1e-6, 1.5e-6, 999999999999999.9, 0.000123, 123.456, -0.5] {
            var general: [UInt8] = []
            JSONWriter.appendDouble(d, to: &general)
            XCTAssertEqual(JSONValue.double(d).description, String(decoding: general, as: UTF8.self))
        }
    }

    func testObjectsKeepInsertionOrderAndLookUpLargeOnes() throws {
        var object: JSONObject = ["z": 1, "a": 2]
        object["m"] = 3
        object["z"] = 4
        XCTAssertEqual(JSONValue.object(object).description, "{\"z\":4,\"a\":2,\"m\":3}")
        object["a"] = nil
        XCTAssertEqual(object.keys, ["z", "m"])
        var big = JSONObject()
        for i in 0..<100 { big["k\(i)"] = .int(i) }
        big["k50"] = nil
        XCTAssertEqual(big["k99"], 99)
        XCTAssertNil(big["k50"])
        XCTAssertEqual(big.count, 99)
        let text = "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k3\":\"x\"}"
        let parsed = try JSONValue.parse(text)
        XCTAssertEqual(parsed["k3"], "x")
        XCTAssertEqual(parsed.objectValue?.keys.first, "k0")
        XCTAssertEqual(parsed.objectValue?.count, 40)
    }

    func testEqualityHashingLiteralsAndSubscripts() throws {
        XCTAssertEqual(JSONValue.int(1), JSONValue.double(1))
        XCTAssertEqual(Set<JSONValue>([.int(1), .double(1.0)]).count, 1)
        XCTAssertEqual(try JSONValue.parse("{\"a\":1,\"b\":[true]}"), try JSONValue.parse("{\"b\":[true],\"a\":1}"))
        XCTAssertEqual(Set<JSONValue>([try JSONValue.parse("{\"a\":1,\"b\":2}"), try JSONValue.parse("{\"b\":2,\"a\":1}")]).count, 1)
        XCTAssertNotEqual(JSONValue.string("1"), JSONValue.int(1))
        var value: JSONValue = ["user": ["name": "Ada", "tags": ["a", 1, 2.5, nil, true]]]
        XCTAssertEqual(value["user"]?["name"]?.stringValue, "Ada")
        XCTAssertEqual(value["user"]?["tags"]?[2]?.doubleValue, 2.5)
        XCTAssertNil(value["user"]?["tags"]?[9])
        value["extra"] = 7
        XCTAssertEqual(value.description, "{\"user\":{\"name\":\"Ada\",\"tags\":[\"a\",1,2.5,null,true]},\"extra\":7}")
    }

    func testRoundTripOfGeneratedDocuments() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random())
            case 2: return .int(Int.random(in: Int.min...Int.max))
            case 3: return .double(Double.random(in: -1e6...1e6))
            case 4: return .string(String((0..<Int.random(in: 0..<12)).map { _ in
                    Character(Unicode.Scalar([0x01, 0x22, 0x5C, 0x41, 0xE9, 0x65E5, 0x1F600, 0x0A, 0x2F].randomElement()!)!)
                }))
            case 5: return .array((0..<Int.random(in: 0..<5)).map { _ in random(depth + 1) })
            default: return .object(JSONObject((0..<Int.random(in: 0..<5)).map { ("k\($0)", random(depth + 1)) }))
            }
        }
        for _ in 0..<300 {
            let value = random(0)
            let bytes = value.serialized
            let parsed = try JSONValue.parse(bytes: bytes)
            XCTAssertEqual(parsed, value)
            XCTAssertEqual(parsed.serialized, bytes)
        }
    }

    func testSpeedOfAHundredByteEvent() throws {
        let text = Array("[\"workout:update\",{\"id\":12345,\"user\":\"u-42\",\"reps\":[10,12,8],\"weight\":72.5,\"done\":false}]".utf8)
        var value = try JSONValue.parse(bytes: text)
        var out: [UInt8] = []
        out.reserveCapacity(256)
        let n = 20_000
        let clock = ContinuousClock()
        let parseTime = clock.measure {
            for _ in 0..<n { value = try! JSONValue.parse(bytes: text) }
        }
        let serializeTime = clock.measure {
            for _ in 0..<n {
                out.removeAll(keepingCapacity: true)
                value.serialize(into: &out)
            }
        }
        XCTAssertEqual(out, text)
        let parseNs = Double(parseTime.components.attoseconds) / 1e9 / Double(n) + Double(parseTime.components.seconds) * 1e9 / Double(n)
        let serializeNs = Double(serializeTime.components.attoseconds) / 1e9 / Double(n)
            + Double(serializeTime.components.seconds) * 1e9 / Double(n)
        print("JSON \(text.count)-byte event: parse \(Int(parseNs)) ns, serialise \(Int(serializeNs)) ns (debug build)")
    }
}
