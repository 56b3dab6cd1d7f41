import GatewayProtocol

/// Reads one section of `modules.reminders`, failing with the dotted key and what would be accepted, so a bad file stops
/// the start-up with a message that says what to fix (`dailyReminder.windowMinutes: must be 1…240, got 0`).
struct ConfigurationReader {
    let object: JSONObject
    /// The dotted path of this section inside the module's configuration (`""` at the top).
    let path: String

    init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func section(_ name: String) throws(ModuleError) -> ConfigurationReader {
        guard let value = object[name], !value.isNull else { return ConfigurationReader([:], path: key(name)) }
        guard let section = value.objectValue else { throw ModuleError("\(key(name)): expected an object") }
        return ConfigurationReader(section, path: key(name))
    }

    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ModuleError) -> Int {
        guard let value = object[name], !value.isNull else { return fallback }
        guard let number = value.intValue else { throw ModuleError("\(key(name)): expected an integer, got \(value)") }
        guard range.contains(number) else {
            throw ModuleError("\(key(name)): must be \(range.lowerBound)…\(range.upperBound), got \(number)")
        }
        return number
    }

    func bool(_ name: String, default fallback: Bool) throws(ModuleError) -> Bool {
        guard let value = object[name], !value.isNull else { return fallback }
        guard let flag = value.boolValue else { throw ModuleError("\(key(name)): expected true or false, got \(value)") }
        return flag
    }

    func string(_ name: String, default fallback: String) throws(ModuleError) -> String {
        guard let value = object[name], !value.isNull else { return fallback }
        guard let text = value.stringValue, !text.isEmpty else { throw ModuleError("\(key(name)): expected a non-empty string") }
        return text
    }

    func zone(_ name: String, default fallback: String) throws(ModuleError) -> ZoneCalendar {
        let identifier = try string(name, default: fallback)
        guard let zone = ZoneCalendar(identifier: identifier) else {
            throw ModuleError("\(key(name)): \"\(identifier)\" is not an IANA time zone (e.g. \"Asia/Seoul\")")
        }
        return zone
    }

    /// `"HH:MM"` on a 24-hour clock, as minutes since midnight.
    func timeOfDay(_ name: String, default fallback: String) throws(ModuleError) -> Int {
        let text = try string(name, default: fallback)
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0..<24).contains(hour), (0..<60).contains(minute) else {
            throw ModuleError("\(key(name)): expected a time \"HH:MM\" (00:00…23:59), got \"\(text)\"")
        }
        return hour * 60 + minute
    }

    static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// A weekday by its English name, as 0 = Sunday … 6 = Saturday.
    func weekday(_ name: String, default fallback: String) throws(ModuleError) -> Int {
        let text = try string(name, default: fallback)
        guard let day = Self.weekdays.firstIndex(of: text.lowercased()) else {
            throw ModuleError("\(key(name)): expected a weekday name (\(Self.weekdays.joined(separator: ", "))), got \"\(text)\"")
        }
        return day
    }
}
