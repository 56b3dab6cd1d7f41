import GatewayProtocol

/// `startDate`/`endDate` of `GET /sms/statistics`: `YYYY-MM-DD` (UTC days; an end date includes its whole day) or an
/// ISO-8601 date-time (`2026-11-26T09:30:00Z`, `…+09:00`, fractions of a second allowed). A bad value is a 400 naming
/// the parameter.
struct StatisticsRange: Sendable, Equatable {
    /// Inclusive start and exclusive end, Unix ms.
    let startMs: Int64
    let endMs: Int64

    init(query: [String: String]) throws(ModuleError) {
        startMs = try Self.instant(query, "startDate", endOfDay: false)
        endMs = try Self.instant(query, "endDate", endOfDay: true)
        guard startMs < endMs else {
            throw ModuleError("endDate: must be after startDate", status: 400, code: "invalid_date")
        }
    }

    private static func instant(_ query: [String: String], _ name: String, endOfDay: Bool) throws(ModuleError) -> Int64 {
        guard let text = query[name], !text.isEmpty else {
            throw ModuleError("\(name) is required (YYYY-MM-DD or an ISO-8601 date-time)", status: 400, code: "invalid_date")
        }
        guard let ms = parse(text, endOfDay: endOfDay) else {
            throw ModuleError("\(name): '\(text.prefix(40))' is not a date (YYYY-MM-DD or an ISO-8601 date-time)",
                              status: 400, code: "invalid_date")
        }
        return ms
    }

    static func parse(_ text: String, endOfDay: Bool) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<from + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              (1...12).contains(month), (1...CivilTime.daysInMonth(year: year, month: month)).contains(day) else { return nil }
        let dayStart = CivilTime.daysFromCivil(year: year, month: month, day: day) * CivilTime.dayMs
        if bytes.count == 10 { return endOfDay ? dayStart + CivilTime.dayMs : dayStart }

        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let hour = number(11, 2), bytes.count > 13, bytes[13] == UInt8(ascii: ":"), let minute = number(14, 2),
              hour < 24, minute < 60 else { return nil }
        var index = 16
        var second = 0
        var fractionMs = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard let s = number(index + 1, 2), s < 60 else { return nil }
            second = s
            index += 3
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var digits = 0
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    if digits < 3 { fractionMs = fractionMs * 10 + Int(bytes[index] - 48) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                if digits < 3 { for _ in digits..<3 { fractionMs *= 10 } }
            }
        }
        guard index < bytes.count else { return nil }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let h = number(index + 1, 2), let m = number(index + 4, 2), h < 24, m < 60 else { return nil }
            offsetMinutes = (h * 60 + m) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        return dayStart + Int64((hour * 3600 + minute * 60 + second - offsetMinutes * 60) * 1000 + fractionMs)
    }
}
