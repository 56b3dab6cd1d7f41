import GatewayProtocol

/// The dates SMS deals in, on the contract's calendar arithmetic (`Timestamps`): ISO-8601 query parameters, Twilio's
/// RFC 2822 dates and UTC day windows.
enum CivilTime {
    static let dayMs: Int64 = 86_400_000

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        Timestamps.days(fromYear: Int64(year), month: Int64(month), day: Int64(day))
    }

    static func daysInMonth(year: Int, month: Int) -> Int { Int(Timestamps.daysIn(month: Int64(month), year: Int64(year))) }

    /// `YYYY-MM-DD` of the UTC day holding `ms`.
    static func dateString(ms: Int64) -> String { Timestamps.utcDate(ms: ms) }

    /// Twilio's RFC 2822 dates (`Thu, 26 Nov 2026 20:50:00 +0000`) as Unix ms; nil for anything else.
    static func parseRFC2822(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, let offset = Int(parts[5]) else { return nil }
        let offsetMinutes = (abs(offset) / 100 * 60 + abs(offset) % 100) * (offset < 0 ? -1 : 1)
        let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        let seconds = days * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2]) - Int64(offsetMinutes * 60)
        return seconds * 1000
    }
}
