import GatewayProtocol
import XCTest

final class TimestampsTests: XCTestCase {
    func testFormatsUTCWithMilliseconds() {
        XCTAssertEqual(Timestamps.iso8601(ms: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamps.iso8601(ms: 1_794_127_800_123), "2026-11-08T08:50:00.123Z")
        XCTAssertEqual(Timestamps.iso8601(ms: 951_782_400_000), "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(Timestamps.iso8601(ms: -1), "1969-12-31T23:59:59.999Z")
    }

    func testParsesTheSpellingsClientsSend() {
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-08T08:50:00.123Z"), 1_794_127_800_123)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-08T17:50:00+09:00"), 1_794_127_800_000)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-08"), 1_794_096_000_000)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-08 08:50Z"), 1_794_127_800_000)
        for bad in ["", "2026-02-30", "2026-13-01", "2026-11-08T24:00Z", "2026-11-08T08:50", "08/11/2026", "2026-11-08T08:50:00.Z"] {
            XCTAssertNil(Timestamps.parseISO8601(bad), bad)
        }
    }

    func testRoundTrips() {
        for ms: Int64 in [0, 1, 86_399_999, 1_794_127_800_123, 4_102_444_800_000] {
            XCTAssertEqual(Timestamps.parseISO8601(Timestamps.iso8601(ms: ms)), ms)
        }
    }
}

final class CalendarArithmeticTests: XCTestCase {
    func testDaysAndDatesBothWays() {
        XCTAssertEqual(Timestamps.days(fromYear: 1970, month: 1, day: 1), 0)
        XCTAssertEqual(Timestamps.days(fromYear: 2000, month: 3, day: 1), 11_017)
        XCTAssertEqual(Timestamps.days(fromYear: 1969, month: 12, day: 31), -1)
        let (y, m, d) = Timestamps.civil(fromDays: 11_016)
        XCTAssertEqual([y, m, d], [2000, 2, 29])
        XCTAssertEqual(Timestamps.daysIn(month: 2, year: 2100), 28)
        XCTAssertEqual(Timestamps.daysIn(month: 2, year: 2000), 29)
        XCTAssertEqual(Timestamps.utcDate(ms: -1), "1969-12-31")
        XCTAssertEqual(Timestamps.utcDate(ms: 1_794_127_800_123), "2026-11-08")
    }
}
