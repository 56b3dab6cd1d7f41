import GatewayProtocol
@testable import SMS
import XCTest

/// The pure parts, without a gateway: numbers, templates, dates, form encoding.
final class SMSUnitTests: XCTestCase {
    func testKoreanAndInternationalSpellingsNormaliseToE164() throws {
        let cases = [
            "010-1234-5678": "+821012345678", "01012345678": "+821012345678", "10-1234-5678": "+821012345678",
            "+82 10 1234 5678": "+821012345678", "+82-10-1234-5678": "+821012345678", "+82 010 1234 5678": "+821012345678",
            "821012345678": "+821012345678", "0082 10 1234 5678": "+821012345678", "(010) 1234.5678": "+821012345678",
            "011-123-4567": "+82111234567", "+1 415 555 0100": "+14155550100", "+44 7700 900123": "+447700900123",
        ]
        for (raw, e164) in cases { XCTAssertEqual(try PhoneNumber(parsing: raw).e164, e164, raw) }
        for raw in ["", "+", "abc", "010-1234", "010-1234-56789", "+82 2 1234 5678", "+0123456789", "12345",
                    "+1234567", "+1234567890123456", "010-1234-567８"] {
            XCTAssertThrowsError(try PhoneNumber(parsing: raw), raw) { error in
                XCTAssertEqual((error as? ModuleError)?.code, "invalid_phone_number")
            }
        }
        XCTAssertEqual(try PhoneNumber(parsing: "+12345678").e164, "+12345678", "8 digits: the shortest accepted")
        XCTAssertEqual(try PhoneNumber(parsing: "+123456789012345").e164, "+123456789012345", "15 digits: the longest")
        XCTAssertEqual(try PhoneNumber(parsing: "010-1234-5678").masked, "+82********78")
    }

    func testTemplatesFillKnownPlaceholdersAndFallBackToTheDefaultLocale() throws {
        XCTAssertEqual(TextTemplate.fill("{a} and {b} and {c", ["a": "1", "b": "{a}"]), "1 and {a} and {c")
        let templates = try SMSTemplates(configured: ["ko": .object(["custom": "[FitMate] {message}"]),
                                                      "ja": .object(["otp": "コード {code}"])],
                                         defaultLocale: "ko", appURL: "https://fitmate.test")
        XCTAssertEqual(try templates.render("custom", locale: nil, parameters: ["message": "hi"]), "[FitMate] hi")
        XCTAssertEqual(try templates.render("otp", locale: "ja-JP", parameters: ["code": "123456"]), "コード 123456")
        XCTAssertTrue(try templates.render("otp", locale: "fr", parameters: ["code": "1"]).hasPrefix("FitMate 인증번호: 1"))
        XCTAssertThrowsError(try templates.render("nope", locale: nil, parameters: [:]))
        XCTAssertThrowsError(try templates.render("workout_reminder", locale: nil, parameters: ["userName": "a"])) { error in
            XCTAssertEqual((error as? ModuleError)?.message, "workoutType is required by the template 'workout_reminder'")
        }
        XCTAssertThrowsError(try SMSTemplates(configured: nil, defaultLocale: "de", appURL: ""))
    }

    func testDatesParseAsUTCAndISO8601() {
        XCTAssertEqual(StatisticsRange.parse("1970-01-01", endOfDay: false), 0)
        XCTAssertEqual(StatisticsRange.parse("1970-01-01", endOfDay: true), 86_400_000)
        XCTAssertEqual(StatisticsRange.parse("2026-11-26T09:30:00+09:00", endOfDay: false),
                       StatisticsRange.parse("2026-11-26T00:30:00Z", endOfDay: false))
        XCTAssertEqual(StatisticsRange.parse("2000-03-01T00:00:00.123456Z", endOfDay: false), 951_868_800_123)
        XCTAssertNil(StatisticsRange.parse("2026-11-26T09:30:00+0900", endOfDay: false))
        XCTAssertNil(StatisticsRange.parse("2026-11-26 09:30:00Z", endOfDay: false))
        XCTAssertNil(StatisticsRange.parse("2026-11-31", endOfDay: false))
        XCTAssertEqual(CivilTime.parseRFC2822("Thu, 26 Nov 2026 20:50:00 +0000"),
                       StatisticsRange.parse("2026-11-26T20:50:00Z", endOfDay: false))
        XCTAssertEqual(CivilTime.parseRFC2822("Fri, 27 Nov 2026 05:50:00 +0900"),
                       StatisticsRange.parse("2026-11-26T20:50:00Z", endOfDay: false))
        XCTAssertEqual(CivilTime.dateString(ms: 951_868_800_123), "2000-03-01")
    }

    func testFormEncodingRoundTripsTwiliosFields() {
        let fields = [("To", "+821012345678"), ("Body", "a b&c=d 100% 한글"), ("DateSent>", "2026-11-26")]
        let encoded = FormEncoding.encode(fields)
        XCTAssertEqual(encoded, "To=%2B821012345678&Body=a+b%26c%3Dd+100%25+%ED%95%9C%EA%B8%80&DateSent%3E=2026-11-26")
        XCTAssertEqual(FormEncoding.decode(Array(encoded.utf8))?.map { "\($0.0)=\($0.1)" }, fields.map { "\($0.0)=\($0.1)" })
        XCTAssertNil(FormEncoding.decode(Array("a=%zz".utf8)))
        XCTAssertNil(FormEncoding.decode(Array("a=%2".utf8)))
    }
}

final class SMSClientAddressTests: XCTestCase {
    func testRateLimitsKeyOnTheAddressWithoutThePort() {
        XCTAssertEqual(SMSRoutes.clientIP("203.0.113.7:51234"), "203.0.113.7")
        XCTAssertEqual(SMSRoutes.clientIP("[2001:db8::1]:443"), "2001:db8::1")
        XCTAssertEqual(SMSRoutes.clientIP("2001:db8::1"), "2001:db8::1")
        XCTAssertEqual(SMSRoutes.clientIP("203.0.113.7"), "203.0.113.7")
    }
}
