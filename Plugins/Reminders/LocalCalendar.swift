// IANA zones need tzdata through ICU, which FoundationEssentials alone does not carry (TimeZone(identifier:) is nil there);
// FoundationInternationalization is the smallest import that has it, and only `TimeZone.secondsFromGMT(for:)` is used.
import FoundationEssentials
import FoundationInternationalization
import GatewayProtocol

/// A day of the proleptic Gregorian calendar, as days since 1970-01-01 (H. Hinnant's algorithms: integer only).
struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    let daysSinceEpoch: Int

    init(daysSinceEpoch: Int) { self.daysSinceEpoch = daysSinceEpoch }

    init(year: Int, month: Int, day: Int) {
        daysSinceEpoch = Int(Timestamps.days(fromYear: Int64(year), month: Int64(month), day: Int64(day)))
    }

    var components: (year: Int, month: Int, day: Int) {
        let (year, month, day) = Timestamps.civil(fromDays: Int64(daysSinceEpoch))
        return (Int(year), Int(month), Int(day))
    }

    /// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    var weekday: Int { ((daysSinceEpoch + 4) % 7 + 7) % 7 }

    /// The Monday on or before this day: FitMate's weeks run Monday to Sunday, as Korean calendars print them.
    var mondayOfWeek: LocalDate { adding(days: -((weekday + 6) % 7)) }

    func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// `2026-11-01`: the period keys the ledger records.
    var description: String {
        let (year, month, day) = components
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    static func < (a: LocalDate, b: LocalDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}

/// What a user's clock shows at an instant: their local date and minute of the day.
struct LocalMoment: Equatable, Sendable {
    let date: LocalDate
    let minuteOfDay: Int
}

/// One IANA zone's wall clock: instants to local dates and times, and local midnights back to instants.
struct ZoneCalendar: Sendable {
    let identifier: String
    private let zone: TimeZone

    /// Nil for a name tzdata does not know.
    init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    func offsetSeconds(atMs instantMs: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(Self.floorDivide(instantMs, 1000)))))
    }

    func moment(atMs instantMs: Int64) -> LocalMoment {
        let wallSeconds = Self.floorDivide(instantMs, 1000) + offsetSeconds(atMs: instantMs)
        let days = Self.floorDivide(wallSeconds, 86_400)
        return LocalMoment(date: LocalDate(daysSinceEpoch: Int(days)), minuteOfDay: Int((wallSeconds - days * 86_400) / 60))
    }

    /// The first instant (Unix ms) of `date` on this zone's clocks. Where midnight falls in a daylight-saving gap (some
    /// zones change at 00:00), the day starts at the end of the gap.
    func startMs(of date: LocalDate) -> Int64 {
        let wall = Int64(date.daysSinceEpoch) * 86_400
        let offsetBefore = offsetSeconds(atMs: (wall - 86_400) * 1000), offsetAfter = offsetSeconds(atMs: (wall + 86_400) * 1000)
        let candidates = [wall - offsetBefore, wall - offsetAfter].filter { $0 + offsetSeconds(atMs: $0 * 1000) == wall }
        if let first = candidates.min() { return first * 1000 }
        // In a gap: the first second whose offset is the later one.
        var low = min(wall - offsetBefore, wall - offsetAfter), high = max(wall - offsetBefore, wall - offsetAfter)
        let lowOffset = offsetSeconds(atMs: low * 1000)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offsetSeconds(atMs: middle * 1000) == lowOffset { low = middle } else { high = middle }
        }
        return high * 1000
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}
