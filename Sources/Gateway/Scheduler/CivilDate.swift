import GatewayProtocol

/// Proleptic Gregorian calendar arithmetic on days since 1970-01-01, for wall-clock times read "as if UTC".
/// Plain integer arithmetic (the contract's `Timestamps`, H. Hinnant's algorithms): the scheduler walks many candidate days
/// and this never allocates.
struct CivilDate: Equatable {
    var year: Int
    var month: Int
    var day: Int

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSinceEpoch: Int) {
        let (year, month, day) = Timestamps.civil(fromDays: Int64(daysSinceEpoch))
        self.init(year: Int(year), month: Int(month), day: Int(day))
    }

    var daysSinceEpoch: Int { Int(Timestamps.days(fromYear: Int64(year), month: Int64(month), day: Int64(day))) }

    /// 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday.
    static func weekday(daysSinceEpoch: Int) -> Int {
        let remainder = (daysSinceEpoch + 4) % 7
        return remainder >= 0 ? remainder : remainder + 7
    }

    static func length(ofMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func longestLength(ofMonth month: Int) -> Int { month == 2 ? 29 : length(ofMonth: month, year: 2001) }
}
