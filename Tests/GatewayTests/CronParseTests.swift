import GatewayTestKit
import XCTest
@testable import Gateway

final class CronParseTests: XCTestCase {
    private struct Selection: Equatable {
        let minutes, hours, days, months, weekdays: UInt64
        let dayRestricted, weekdayRestricted: Bool
    }

    private func selection(_ text: String) throws -> Selection {
        let cron = try CronExpression(text)
        return Selection(minutes: cron.minutes, hours: cron.hours, days: cron.daysOfMonth, months: cron.months,
                         weekdays: cron.daysOfWeek, dayRestricted: cron.daysOfMonthRestricted,
                         weekdayRestricted: cron.daysOfWeekRestricted)
    }

    func testEquivalentSpellingsSelectTheSameTimes() throws {
        let table: [(String, String)] = [
            ("0 0 * * 7", "0 0 * * 0"),
            ("0 0 * * SUN", "0 0 * * 0"),
            ("0 0 * * Mon-Fri", "0 0 * * 1-5"),
            ("0 0 * * fri-sat,sun", "0 0 * * 5,6,0"),
            ("0 0 * * 5-7", "0 0 * * 0,5,6"),
            ("0 0 * * 0-7", "0 0 * * 0-6"),
            ("0 0 * JAN-mar *", "0 0 * 1-3 *"),
            ("0 0 * jan,JUL,dec *", "0 0 * 1,7,12 *"),
            ("*/15 * * * *", "0,15,30,45 * * * *"),
            ("10/20 * * * *", "10,30,50 * * * *"),
            ("5-20/5 8-10 * * *", "5,10,15,20 8,9,10 * * *"),
            ("0 */6 * * *", "0 0,6,12,18 * * *"),
            ("0 0 1-31/10 * *", "0 0 1,11,21,31 * *"),
            ("@hourly", "0 * * * *"),
            ("@daily", "0 0 * * *"),
            ("@DAILY", "0 0 * * *"),
            ("@midnight", "0 0 * * *"),
            ("@weekly", "0 0 * * 0"),
            ("@monthly", "0 0 1 * *"),
            ("@yearly", "0 0 1 1 *"),
            ("@annually", "0 0 1 1 *"),
            ("  0\t 0  * * *  ", "0 0 * * *"),
        ]
        for (text, equivalent) in table {
            XCTAssertEqual(try selection(text), try selection(equivalent), "\(text) should equal \(equivalent)")
        }
        XCTAssertNotEqual(try selection("0 0 * * 1"), try selection("0 0 * * 2"), "the comparison can tell weekdays apart")
    }

    func testWhichDayFieldsCountAsRestricted() throws {
        // Vixie cron's rule: a day field is unrestricted when it starts with `*`, even as `*/2`.
        let table: [(String, Bool, Bool)] = [
            ("0 0 * * *", false, false), ("0 0 1 * *", true, false), ("0 0 * * mon", false, true),
            ("0 0 1 * mon", true, true), ("0 0 */2 * mon", false, true), ("0 0 1-31 * 0-7", true, true),
        ]
        for (text, day, weekday) in table {
            let parsed = try selection(text)
            XCTAssertEqual(parsed.dayRestricted, day, text)
            XCTAssertEqual(parsed.weekdayRestricted, weekday, text)
        }
    }

    func testBadExpressionsNameTheFieldAndToken() {
        let table: [(String, String)] = [
            ("", #"invalid cron expression "": has 0 fields; expected 5 (minute hour day-of-month month day-of-week) or a shortcut such as @daily"#),
            ("* * * *", #"invalid cron expression "* * * *": has 4 fields; expected 5 (minute hour day-of-month month day-of-week) or a shortcut such as @daily"#),
            ("0 0 * * * 2026", #"invalid cron expression "0 0 * * * 2026": has 6 fields; expected 5 (minute hour day-of-month month day-of-week) or a shortcut such as @daily"#),
            ("@reboot", #"invalid cron expression "@reboot": "@reboot" is not a known shortcut; use @hourly, @daily, @weekly, @monthly or @yearly"#),
            ("60 * * * *", #"invalid cron expression "60 * * * *": minute field: "60" is out of range 0-59"#),
            ("* 24 * * *", #"invalid cron expression "* 24 * * *": hour field: "24" is out of range 0-23"#),
            ("* * 0 * *", #"invalid cron expression "* * 0 * *": day-of-month field: "0" is out of range 1-31"#),
            ("* * 32 * *", #"invalid cron expression "* * 32 * *": day-of-month field: "32" is out of range 1-31"#),
            ("* * * 13 *", #"invalid cron expression "* * * 13 *": month field: "13" is out of range 1-12"#),
            ("* * * 0 *", #"invalid cron expression "* * * 0 *": month field: "0" is out of range 1-12"#),
            ("* * * * 8", #"invalid cron expression "* * * * 8": day-of-week field: "8" is out of range 0-7"#),
            ("* * * foo *", #"invalid cron expression "* * * foo *": month field: "foo" is not a number or a name such as jan"#),
            ("* * * * funday", #"invalid cron expression "* * * * funday": day-of-week field: "funday" is not a number or a name such as sun"#),
            ("a * * * *", #"invalid cron expression "a * * * *": minute field: "a" is not a number"#),
            ("+5 * * * *", #"invalid cron expression "+5 * * * *": minute field: "+5" is not a number"#),
            ("-5 * * * *", #"invalid cron expression "-5 * * * *": minute field: "-5" is not a number"#),
            ("*/0 * * * *", #"invalid cron expression "*/0 * * * *": minute field: "*/0" has a step that is not a positive integer"#),
            ("*/x * * * *", #"invalid cron expression "*/x * * * *": minute field: "*/x" has a step that is not a positive integer"#),
            ("*/60 * * * *", #"invalid cron expression "*/60 * * * *": minute field: "*/60" has a step larger than 59"#),
            ("1/2/3 * * * *", #"invalid cron expression "1/2/3 * * * *": minute field: "1/2/3" has more than one step"#),
            ("5-1 * * * *", #"invalid cron expression "5-1 * * * *": minute field: "5-1" is a range whose start is after its end (write 1-5? ranges do not wrap)"#),
            ("0 0 * * fri-mon", #"invalid cron expression "0 0 * * fri-mon": day-of-week field: "fri-mon" is a range whose start is after its end (write 1-5? ranges do not wrap)"#),
            ("1,,2 * * * *", #"invalid cron expression "1,,2 * * * *": minute field: "" is an empty list item"#),
            ("0 0 30 feb *", #"invalid cron expression "0 0 30 feb *": day-of-month field: "30" never occurs in the selected months (they have at most 29 days)"#),
            ("0 0 31 4,6,9,11 *", #"invalid cron expression "0 0 31 4,6,9,11 *": day-of-month field: "31" never occurs in the selected months (they have at most 30 days)"#),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try CronExpression(text), text) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testDaysThatExistInSomeSelectedMonthAreAccepted() {
        for text in ["0 0 29 feb *", "0 0 31 jan,feb *", "0 0 30 2 mon", "0 0 31 * *"] {
            XCTAssertNoThrow(try CronExpression(text), text)
        }
    }
}
