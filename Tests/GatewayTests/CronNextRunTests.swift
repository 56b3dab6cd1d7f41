import GatewayTestKit
import Foundation
import XCTest
@testable import Gateway

/// Next-run tables. Expected instants are written with the zone's offset, so each row reads as the wall clock shows it.
final class CronNextRunTests: XCTestCase {
    private func ms(_ iso: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = formatter.date(from: iso) ?? ISO8601DateFormatter().date(from: iso)
        precondition(date != nil, "bad date in test table: \(iso)")
        return Int64((date!.timeIntervalSince1970 * 1000).rounded())
    }

    private func iso(_ milliseconds: Int64?, _ zone: TimeZone) -> String {
        guard let milliseconds else { return "never" }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
    }

    /// Each row: schedule, the instant to start after, then the runs that follow, in order.
    private func check(_ zoneName: String, _ table: [(String, String, [String])], file: StaticString = #filePath,
                       line: UInt = #line) throws {
        let zone = try XCTUnwrap(TimeZone(identifier: zoneName))
        for (schedule, after, expected) in table {
            let cron = try CronExpression(schedule)
            var instant = ms(after)
            for (index, want) in expected.enumerated() {
                let next = cron.nextRun(after: instant, in: zone)
                XCTAssertEqual(iso(next, zone), iso(ms(want), zone), "\(schedule) in \(zoneName), run \(index + 1) after \(after)",
                               file: file, line: line)
                guard let next else { break }
                instant = next
            }
        }
    }

    func testUTC() throws {
        try check("UTC", [
            ("* * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]),
            ("* * * * *", "2026-01-01T00:00:30.500Z", ["2026-01-01T00:01:00Z"]),
            ("* * * * *", "2026-01-01T00:00:59.999Z", ["2026-01-01T00:01:00Z"]),
            ("0 0 1 1 *", "2026-01-01T00:00:00Z", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]),
            ("0 0 1 1 *", "2025-12-31T23:59:59.999Z", ["2026-01-01T00:00:00Z"]),
            ("5-20/5 8-10 * * *", "2026-01-01T08:20:00Z", ["2026-01-01T09:05:00Z", "2026-01-01T09:10:00Z"]),
            ("5-20/5 8-10 * * *", "2026-01-01T10:20:00Z", ["2026-01-02T08:05:00Z"]),
            ("0 0 * jan,JUL *", "2026-01-31T12:00:00Z", ["2026-07-01T00:00:00Z"]),
            ("0 0 31 * *", "2026-01-31T00:00:00Z", ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"]),
            ("59 23 31 12 *", "2026-06-01T00:00:00Z", ["2026-12-31T23:59:00Z"]),
            // 2026-01-01 is a Thursday.
            ("0 12 * * mon-fri", "2026-01-02T13:00:00Z", ["2026-01-05T12:00:00Z", "2026-01-06T12:00:00Z"]),
            ("0 0 * * 7", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
            ("0 0 * * sun", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z"]),
            ("0 0 * * SAT,sun", "2026-01-01T00:00:00Z", ["2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-10T00:00:00Z"]),
            ("@hourly", "2026-01-01T10:59:59Z", ["2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"]),
            ("@weekly", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
            ("@monthly", "2026-01-15T00:00:00Z", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
            ("@yearly", "2026-01-15T00:00:00Z", ["2027-01-01T00:00:00Z"]),
        ])
    }

    func testDayOfMonthOrDayOfWeek() throws {
        try check("UTC", [
            // Both restricted: either matches (the 1st, and every Monday). 2026-02-01 is a Sunday.
            ("0 0 1 * mon", "2026-01-01T00:00:00Z", ["2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z",
                                                     "2026-01-26T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"]),
            // A day field starting with `*` is unrestricted, so both must match: odd days that are Mondays.
            ("0 0 */2 * mon", "2026-01-01T00:00:00Z", ["2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z", "2026-02-09T00:00:00Z"]),
            ("0 0 13 * fri", "2026-02-01T00:00:00Z", ["2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"]),
        ])
    }

    func testFebruary29() throws {
        try check("UTC", [
            ("0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]),
            // 2100 is not a leap year: eight years to the next 29 February.
            ("0 0 29 2 *", "2096-03-01T00:00:00Z", ["2104-02-29T00:00:00Z"]),
            ("0 0 29 feb mon", "2026-02-01T00:00:00Z", ["2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"]),
            ("0 9 28-29 feb *", "2027-02-28T09:00:00Z", ["2028-02-28T09:00:00Z", "2028-02-29T09:00:00Z", "2029-02-28T09:00:00Z"]),
        ])
    }

    func testNewYorkSpringForward() throws {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z); wall times 02:00-02:59 do not exist.
        try check("America/New_York", [
            ("30 2 * * *", "2026-03-07T12:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
            ("*/15 2 * * *", "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
            ("0 2,3 * * *", "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
            ("0 * * * *", "2026-03-08T00:30:00-05:00", ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00",
                                                        "2026-03-08T04:00:00-04:00"]),
            ("59 1 * * *", "2026-03-08T00:00:00-05:00", ["2026-03-08T01:59:00-05:00", "2026-03-09T01:59:00-04:00"]),
            ("0 9 * * *", "2026-03-07T10:00:00-05:00", ["2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"]),
        ])
    }

    func testNewYorkFallBack() throws {
        // 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z); wall times 01:00-01:59 happen twice.
        try check("America/New_York", [
            ("30 1 * * *", "2026-11-01T00:00:00-04:00", ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
            ("0 * * * *", "2026-11-01T00:30:00-04:00", ["2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"]),
            ("*/30 * * * *", "2026-11-01T01:45:00-04:00", ["2026-11-01T02:00:00-05:00"]),
            // Started inside the repeated hour: its wall times have had their run.
            ("*/30 * * * *", "2026-11-01T01:10:00-05:00", ["2026-11-01T02:00:00-05:00"]),
            ("0 2 * * *", "2026-11-01T00:00:00-04:00", ["2026-11-01T02:00:00-05:00", "2026-11-02T02:00:00-05:00"]),
            ("0 9 * * *", "2026-10-31T10:00:00-04:00", ["2026-11-01T09:00:00-05:00"]),
        ])
    }

    func testBerlin() throws {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST; 2026-10-25: 03:00 CEST becomes 02:00 CET.
        try check("Europe/Berlin", [
            ("30 2 * * *", "2026-03-28T12:00:00+01:00", ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
            ("30 2 * * *", "2026-10-24T12:00:00+02:00", ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
            ("0 3 * * *", "2026-10-25T00:00:00+02:00", ["2026-10-25T03:00:00+01:00"]),
            ("0 0 * * *", "2026-03-28T12:00:00+01:00", ["2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"]),
        ])
    }

    func testSeoulDailyHasNoDaylightSaving() throws {
        try check("Asia/Seoul", [
            ("@daily", "2026-06-15T10:00:00+09:00", ["2026-06-16T00:00:00+09:00", "2026-06-17T00:00:00+09:00"]),
            ("@daily", "2026-06-16T00:00:00+09:00", ["2026-06-17T00:00:00+09:00"]),
            ("@daily", "2026-12-31T23:59:59+09:00", ["2027-01-01T00:00:00+09:00"]),
        ])
    }

    func testRareWeekdayAndDateCombinationIsFoundYearsAhead() throws {
        // Both day fields must match (the day field starts with `*`): 1 February on a Monday, 2027 then 2038.
        try check("UTC", [("0 0 */29 2 mon", "2026-01-01T00:00:00Z", ["2027-02-01T00:00:00Z", "2038-02-01T00:00:00Z"])])
    }
}
