// Times for modules (contract 0.3): on the wire ISO 8601 strings (what FitMate's old server's Mongo dates serialised to,
// and what the React client parses), in storage Unix milliseconds. Calendar arithmetic instead of Foundation's formatters,
// so that modules need no Foundation for it and all of them write times the same way.

public enum Timestamps {
    /// `2026-11-26T20:30:43.123Z`.
    public static func iso8601(ms: Int64) -> String {
        let days = floorDivide(ms, 86_400_000)
        let msOfDay = ms - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        let h = msOfDay / 3_600_000, m = msOfDay / 60_000 % 60, s = msOfDay / 1000 % 60, f = msOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(pad(f, 3))Z"
    }

    /// Reads `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)` (a date alone is midnight UTC). Nil when it is not one.
    public static func parseISO8601(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int64? {
            guard i + digits <= b.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int64(b[i] - 48)
                i += 1
            }
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var ms = days(fromYear: year, month: month, day: day) * 86_400_000
        if i == b.count { return ms }
        guard expect(84) || expect(116) || expect(32), let hour = number(2), expect(58), let minute = number(2),
              hour < 24, minute < 60 else { return nil }
        ms += hour * 3_600_000 + minute * 60_000
        if expect(58) {
            guard let second = number(2), second < 60 else { return nil }
            ms += second * 1000
            if expect(46) {
                var scale: Int64 = 100, fraction: Int64 = 0, digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    fraction += Int64(b[i] - 48) * scale
                    scale /= 10
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                ms += fraction
            }
        }
        if expect(90) || expect(122) { return i == b.count ? ms : nil }
        guard i < b.count, b[i] == 43 || b[i] == 45 else { return nil }
        let sign: Int64 = b[i] == 43 ? 1 : -1
        i += 1
        guard let offsetHours = number(2) else { return nil }
        _ = expect(58)
        guard let offsetMinutes = number(2), i == b.count, offsetHours < 24, offsetMinutes < 60 else { return nil }
        return ms - sign * (offsetHours * 3_600_000 + offsetMinutes * 60_000)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `YYYY-MM-DD` of the UTC day holding `ms`.
    public static func utcDate(ms: Int64) -> String {
        let (year, month, day) = civil(fromDays: floorDivide(ms, 86_400_000))
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    private static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's days_from_civil /
    /// civil_from_days: exact for any date).
    public static func days(fromYear y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDivide(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDivide(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
