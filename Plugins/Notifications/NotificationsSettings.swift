import GatewayProtocol

/// `modules.notifications` in the configuration. Every limit is checked at start-up; a bad value stops the gateway
/// with the option's name.
struct NotificationsSettings: Sendable {
    static let types: Set<String> = ["workout_completed", "goal_achieved", "workout_reminder", "chat_message", "system",
                                     "custom", "weekly_report"]
    static let priorities = ["low", "normal", "high", "urgent"]
    /// Channels a fallback chain may name, tried in order for a user with no socket.
    static let channels: Set<String> = ["sms"]

    /// `limit` when the client gives none, and the most it may ask for.
    var pageSize = 20
    var maxPageSize = 100
    var maxTitleBytes = 200
    var maxMessageBytes = 2000
    /// The serialised `data` object.
    var maxDataBytes = 8192
    var defaultLocale = "ko"
    /// When expired notifications are deleted (cron, UTC).
    var purgeSchedule = "*/10 * * * *"
    /// How long the delivery log behind the analytics is kept.
    var analyticsRetentionDays = 365
    /// priority → channels, for every type; `fallbackByType` overrides it per type and priority.
    var fallback: [String: [String]] = ["high": ["sms"], "urgent": ["sms"]]
    var fallbackByType: [String: [String: [String]]] = [:]
    var templates: Templates

    init(_ section: JSONObject) throws(ModuleError) {
        func positive(_ name: String, _ value: inout Int) throws(ModuleError) {
            guard let given = section[name] else { return }
            guard let number = given.intValue, number > 0 else { throw ModuleError("\(name): expected a positive integer") }
            value = number
        }
        try positive("pageSize", &pageSize)
        try positive("maxPageSize", &maxPageSize)
        try positive("maxTitleBytes", &maxTitleBytes)
        try positive("maxMessageBytes", &maxMessageBytes)
        try positive("maxDataBytes", &maxDataBytes)
        try positive("analyticsRetentionDays", &analyticsRetentionDays)
        guard pageSize <= maxPageSize else { throw ModuleError("pageSize: must not exceed maxPageSize (\(maxPageSize))") }
        if let locale = section["defaultLocale"] {
            guard let text = locale.stringValue, !text.isEmpty else { throw ModuleError("defaultLocale: expected a language such as ko") }
            defaultLocale = text
        }
        if let schedule = section["purgeSchedule"] {
            guard let text = schedule.stringValue, !text.isEmpty else { throw ModuleError("purgeSchedule: expected a cron expression") }
            purgeSchedule = text
        }
        if let chains = section["fallback"] {
            guard case .object(let object) = chains else { throw ModuleError("fallback: expected an object") }
            if let common = object["default"] { fallback = try Self.chains(common, path: "fallback.default") }
            if let byType = object["byType"] {
                guard case .object(let types) = byType else { throw ModuleError("fallback.byType: expected an object") }
                for (type, chains) in types {
                    guard Self.types.contains(type) else {
                        throw ModuleError("fallback.byType.\(type): unknown type (known: \(Self.types.sorted().joined(separator: ", ")))")
                    }
                    fallbackByType[type] = try Self.chains(chains, path: "fallback.byType.\(type)")
                }
            }
        }
        templates = try Templates(configured: section["templates"]?.objectValue, defaultLocale: defaultLocale)
    }

    /// The channels to try, in order, when a notification of `type` and `priority` finds its user offline.
    func fallbackChain(type: String, priority: String) -> [String] {
        fallbackByType[type]?[priority] ?? fallback[priority] ?? []
    }

    private static func chains(_ value: JSONValue, path: String) throws(ModuleError) -> [String: [String]] {
        guard case .object(let object) = value else { throw ModuleError("\(path): expected an object of priorities") }
        var result: [String: [String]] = [:]
        for (priority, list) in object {
            guard priorities.contains(priority) else {
                throw ModuleError("\(path).\(priority): unknown priority (known: \(priorities.joined(separator: ", ")))")
            }
            guard case .array(let items) = list else { throw ModuleError("\(path).\(priority): expected a list of channels") }
            result[priority] = try items.map { (item) throws(ModuleError) -> String in
                guard let channel = item.stringValue, channels.contains(channel) else {
                    throw ModuleError("\(path).\(priority): unknown channel \(item) (known: \(channels.sorted().joined(separator: ", ")))")
                }
                return channel
            }
        }
        return result
    }
}
