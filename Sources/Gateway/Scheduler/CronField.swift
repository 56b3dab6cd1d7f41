/// One of the five fields of a cron expression: its name, its range and the names it accepts.
struct CronField: Sendable {
    let name: String
    let range: ClosedRange<Int>
    /// Lower-case three-letter names mapped to values (`jan` = 1, `sun` = 0).
    let names: [String: Int]

    static let minute = CronField(name: "minute", range: 0...59, names: [:])
    static let hour = CronField(name: "hour", range: 0...23, names: [:])
    static let dayOfMonth = CronField(name: "day-of-month", range: 1...31, names: [:])
    static let month = CronField(name: "month", range: 1...12, names: Dictionary(uniqueKeysWithValues: zip(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1...12)))
    // 7 is Sunday too, as in Vixie cron; it is folded onto 0 after parsing.
    static let dayOfWeek = CronField(name: "day-of-week", range: 0...7, names: Dictionary(uniqueKeysWithValues: zip(
        ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], 0...6)))

    /// The values a field's text selects, as a bit set (bit n = value n).
    func parse(_ text: String, in expression: String) throws(CronError) -> UInt64 {
        var selected: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            selected |= try parseItem(String(item), in: expression)
        }
        return selected
    }

    /// `*`, `*/step`, `value`, `low-high`, `low-high/step` or `low/step` (from `low` to the end of the range).
    private func parseItem(_ item: String, in expression: String) throws(CronError) -> UInt64 {
        func fail(_ reason: String) -> CronError {
            CronError(expression: expression, field: name, token: item, reason: reason)
        }
        guard !item.isEmpty else { throw fail("is an empty list item") }
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw fail("has more than one step") }
        var step = 1
        if parts.count == 2 {
            guard let value = Int(parts[1]), value > 0 else { throw fail("has a step that is not a positive integer") }
            guard value <= range.upperBound else { throw fail("has a step larger than \(range.upperBound)") }
            step = value
        }
        let base = parts[0]
        let low: Int, high: Int
        if base == "*" {
            (low, high) = (range.lowerBound, range.upperBound)
        } else if let dash = base.firstIndex(of: "-") {
            low = try value(base[..<dash], item: item, in: expression)
            high = try value(base[base.index(after: dash)...], item: item, in: expression)
            guard low <= high else { throw fail("is a range whose start is after its end (write \(high)-\(low)? ranges do not wrap)") }
        } else {
            low = try value(base, item: item, in: expression)
            high = parts.count == 2 ? range.upperBound : low
        }
        var selected: UInt64 = 0
        for value in stride(from: low, through: high, by: step) { selected |= 1 << UInt64(value) }
        return selected
    }

    private func value(_ token: Substring, item: String, in expression: String) throws(CronError) -> Int {
        if !token.isEmpty, token.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(token) {
            guard range.contains(number) else {
                throw CronError(expression: expression, field: name, token: item,
                                reason: "is out of range \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        if let named = names[token.lowercased()] { return named }
        let accepted = names.isEmpty ? "a number" : "a number or a name such as \(names.min { $0.value < $1.value }!.key)"
        throw CronError(expression: expression, field: name, token: item, reason: "is not \(accepted)")
    }
}
