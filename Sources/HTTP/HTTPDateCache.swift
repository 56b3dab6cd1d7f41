#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats the IMF-fixdate `Date` header (RFC 9110 §5.6.7) once per second rather than per response: the header has
/// one-second resolution, and a busy loop answers many requests within the same second.
/// One instance per event loop; deliberately not `Sendable`, so the compiler keeps it on one loop.
public final class HTTPDateCache {
    private var cachedSecond = Int.min
    private var cachedValue = ""
    /// How many times the string was actually formatted (for tests of the caching).
    internal private(set) var formatCount = 0

    public init() {}

    /// `nowSeconds` is Unix time; passing it in lets the loop reuse the timestamp it already read this iteration.
    public func current(nowSeconds: Int) -> String {
        if nowSeconds != cachedSecond {
            cachedValue = Self.format(unixSeconds: nowSeconds)
            cachedSecond = nowSeconds
            formatCount += 1
        }
        return cachedValue
    }

    public func current() -> String { current(nowSeconds: Int(time(nil))) }

    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`. Names are fixed English, never the C locale's, as the grammar requires.
    static func format(unixSeconds: Int) -> String {
        var t = time_t(unixSeconds)
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil else { return "Thu, 01 Jan 1970 00:00:00 GMT" }
        var s = ""
        s.reserveCapacity(29)
        s += dayNames[Int(parts.tm_wday) % 7]
        s += ", "
        s += twoDigits(Int(parts.tm_mday))
        s += " "
        s += monthNames[Int(parts.tm_mon) % 12]
        s += " "
        let year = Int(parts.tm_year) + 1900
        s += year < 1000 ? String(repeating: "0", count: year < 10 ? 3 : year < 100 ? 2 : 1) + String(year) : String(year)
        s += " "
        s += twoDigits(Int(parts.tm_hour))
        s += ":"
        s += twoDigits(Int(parts.tm_min))
        s += ":"
        s += twoDigits(Int(parts.tm_sec))
        s += " GMT"
        return s
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0" + String(n) : String(n) }
}
