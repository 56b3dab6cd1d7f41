import Foundation

/// A parsed 5-field cron schedule (minute hour day-of-month month day-of-week), as Vixie cron reads it: lists, ranges,
/// steps, case-insensitive month and weekday names, `7` for Sunday, and the shortcuts `@hourly`, `@daily` (`@midnight`),
/// `@weekly`, `@monthly` and `@yearly` (`@annually`).
///
/// When both day fields are restricted (neither starts with `*`), a day matches if either does, as in Vixie cron:
/// `0 9 1 * mon` runs on the 1st and on every Monday. A field written `*/2` counts as unrestricted, also as Vixie does.
public struct CronExpression: Sendable, Equatable {
    public let text: String
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    /// Bit 0 = Sunday … bit 6 = Saturday (a `7` in the text is folded onto bit 0).
    let daysOfWeek: UInt64
    let daysOfMonthRestricted: Bool
    let daysOfWeekRestricted: Bool

    private static let shortcuts = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]

    public init(_ text: String) throws(CronError) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if trimmed.hasPrefix("@") {
            guard let expanded = Self.shortcuts[trimmed.lowercased()] else {
                throw CronError(expression: text, field: nil, token: trimmed,
                                reason: "is not a known shortcut; use @hourly, @daily, @weekly, @monthly or @yearly")
            }
            fields = expanded.split(separator: " ").map(String.init)
        }
        guard fields.count == 5 else {
            throw CronError(expression: text, field: nil, token: nil,
                            reason: "has \(fields.count) fields; expected 5 (minute hour day-of-month month day-of-week)"
                                + " or a shortcut such as @daily")
        }
        minutes = try CronField.minute.parse(fields[0], in: text)
        hours = try CronField.hour.parse(fields[1], in: text)
        daysOfMonth = try CronField.dayOfMonth.parse(fields[2], in: text)
        months = try CronField.month.parse(fields[3], in: text)
        let weekdays = try CronField.dayOfWeek.parse(fields[4], in: text)
        daysOfWeek = (weekdays | (weekdays >> 7)) & 0x7F
        daysOfMonthRestricted = !fields[2].hasPrefix("*")
        daysOfWeekRestricted = !fields[4].hasPrefix("*")
        try checkSomeDayExists(dayOfMonthText: fields[2])
    }

    /// `0 0 30 feb *` parses field by field but never runs: refuse it rather than schedule nothing in silence.
    private func checkSomeDayExists(dayOfMonthText: String) throws(CronError) {
        guard daysOfMonthRestricted, !daysOfWeekRestricted else { return }
        let selectedMonths = (1...12).filter { months & (1 << UInt64($0)) != 0 }
        let longestMonth: Int = selectedMonths.map { CivilDate.longestLength(ofMonth: $0) }.max() ?? 0
        let firstDay: Int = (1...31).first(where: { daysOfMonth & (1 << UInt64($0)) != 0 }) ?? 32
        guard firstDay > longestMonth else { return }
        throw CronError(expression: text, field: "day-of-month", token: dayOfMonthText,
                        reason: "never occurs in the selected months (they have at most \(longestMonth) days)")
    }

    func matches(minute: Int, hour: Int) -> Bool {
        minutes & (1 << UInt64(minute)) != 0 && hours & (1 << UInt64(hour)) != 0
    }

    func matches(month: Int) -> Bool { months & (1 << UInt64(month)) != 0 }

    func matches(day: Int, weekday: Int) -> Bool {
        let dayMatches = daysOfMonth & (1 << UInt64(day)) != 0
        let weekdayMatches = daysOfWeek & (1 << UInt64(weekday)) != 0
        if daysOfMonthRestricted && daysOfWeekRestricted { return dayMatches || weekdayMatches }
        return dayMatches && weekdayMatches
    }
}
