import Foundation

extension CronExpression {
    /// The first instant strictly after `instantMs` (Unix ms) at which the schedule runs, reading its fields as wall-clock
    /// time in `timeZone`; nil only when nothing matches in the next 28 years
    /// (the weekday-and-date cycle: a schedule such as `0 0 */29 2 mon`, 1 February on a Monday, waits up to 11 years).
    ///
    /// Daylight-saving rules, as most modern crons have them:
    /// - a wall time skipped by a spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) runs at the first
    ///   instant after the gap (03:00), once, however many skipped wall times the schedule selects;
    /// - a wall time that occurs twice in a fall-back overlap runs once, at its first occurrence; the repeated hour runs
    ///   nothing, so an hourly job has a two-hour gap that night rather than running twice at "01:00".
    public func nextRun(after instantMs: Int64, in timeZone: TimeZone) -> Int64? {
        let zone = ZoneClock(timeZone)
        let afterSeconds = Self.floorDivide(instantMs, 1000)
        let wallAfter = afterSeconds + zone.offset(at: afterSeconds)
        var wall = Self.floorDivide(wallAfter, 60) * 60 + 60
        let limit = wall + 28 * 366 * 86_400
        while wall < limit {
            let days = Self.floorDivide(wall, 86_400)
            let date = CivilDate(daysSinceEpoch: Int(days))
            guard matches(month: date.month) else {
                let next = date.month == 12 ? CivilDate(year: date.year + 1, month: 1, day: 1)
                                            : CivilDate(year: date.year, month: date.month + 1, day: 1)
                wall = Int64(next.daysSinceEpoch) * 86_400
                continue
            }
            guard matches(day: date.day, weekday: CivilDate.weekday(daysSinceEpoch: Int(days))) else {
                wall = (days + 1) * 86_400
                continue
            }
            let secondOfDay = wall - days * 86_400
            let hour = Int(secondOfDay / 3600), minute = Int(secondOfDay % 3600 / 60)
            guard hours & (1 << UInt64(hour)) != 0 else {
                wall = days * 86_400 + Int64(hour + 1) * 3600
                continue
            }
            if minutes & (1 << UInt64(minute)) != 0 {
                let instant = zone.firstInstant(atWallTime: wall) * 1000
                // Not always true: a wall time in a fall-back overlap maps back to its first, earlier occurrence.
                if instant > instantMs { return instant }
            }
            wall += 60
        }
        return nil
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}

/// A time zone's UTC offsets from tzdata, and the mapping from wall-clock seconds ("as if UTC") back to an instant.
struct ZoneClock {
    let timeZone: TimeZone

    init(_ timeZone: TimeZone) { self.timeZone = timeZone }

    func offset(at unixSeconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(unixSeconds))))
    }

    /// The earliest instant (Unix seconds) showing `wall` on this zone's clocks; for a wall time inside a gap, the
    /// first instant after the gap. Assumes at most one offset change within a day of `wall`, true of every zone today.
    func firstInstant(atWallTime wall: Int64) -> Int64 {
        let offsetBefore = offset(at: wall - 86_400), offsetAfter = offset(at: wall + 86_400)
        let valid = [wall - offsetBefore, wall - offsetAfter].filter { wall - offset(at: $0) == $0 }
        if let first = valid.min() { return first }
        // In a gap: the offset changes somewhere between the two readings; find the second it does.
        var low = min(wall - offsetBefore, wall - offsetAfter), high = max(wall - offsetBefore, wall - offsetAfter)
        let offsetAtLow = offset(at: low)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == offsetAtLow { low = middle } else { high = middle }
        }
        return high
    }
}
