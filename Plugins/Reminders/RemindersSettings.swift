import GatewayProtocol

/// A local time of day and how long after it a late run still counts (a run missed while the gateway was down, or a
/// schedule coarser than the zones' offsets): a user qualifies while their clock shows `[start, start + window)`.
struct LocalSlot: Sendable, Equatable {
    let startMinute: Int
    let windowMinutes: Int

    func contains(minuteOfDay: Int) -> Bool {
        minuteOfDay >= startMinute && minuteOfDay < startMinute + windowMinutes
    }

    /// The window must end by midnight, so that one slot belongs to one local date (the period the ledger records).
    static func read(_ reader: ConfigurationReader, time: String, window: Int) throws(ModuleError) -> LocalSlot {
        let start = try reader.timeOfDay("localTime", default: time)
        let windowMinutes = try reader.int("windowMinutes", default: window, in: 1...240)
        guard start + windowMinutes <= 24 * 60 else {
            throw ModuleError("\(reader.key("windowMinutes")): \(windowMinutes) minutes after \(reader.key("localTime")) would run past midnight")
        }
        return LocalSlot(startMinute: start, windowMinutes: windowMinutes)
    }
}

/// `modules.reminders`: every period and schedule the jobs use, with FitMate's defaults (see README.md).
struct RemindersSettings: Sendable {
    struct DailyReminder: Sendable {
        let schedule: String
        let slot: LocalSlot
        let sendSMS: Bool
        /// The SMS template's `{workoutType}` by locale (the SMS module's `workout_reminder` text wants one).
        let smsWorkoutType: [String: String]
    }

    struct WeeklyReport: Sendable {
        let schedule: String
        let weekday: Int
        let slot: LocalSlot
    }

    struct Cleanup: Sendable {
        let schedule: String
        let timeZone: String
        let readNotificationsDays: Int
        let chatArchiveDays: Int
        let smsCountersHours: Int
        let ledgerDays: Int
        let batchSize: Int
    }

    let defaultZone: ZoneCalendar
    let defaultLocale: String
    let activeWithinDays: Int
    let daily: DailyReminder
    let weekly: WeeklyReport
    let goalSchedule: String
    let maxGoalsPerUser: Int
    let cleanup: Cleanup
    let templates: ReminderTemplates

    static let dayMs: Int64 = 86_400_000

    init(_ configuration: JSONObject) throws(ModuleError) {
        let top = ConfigurationReader(configuration)
        defaultZone = try top.zone("defaultTimeZone", default: "Asia/Seoul")
        defaultLocale = try top.string("defaultLocale", default: "ko")
        activeWithinDays = try top.int("activeWithinDays", default: 7, in: 1...365)

        let daily = try top.section("dailyReminder")
        var workoutTypes = ["ko": "맞춤", "en": "planned"]
        for (locale, value) in try daily.section("smsWorkoutType").object {
            guard let text = value.stringValue else { throw ModuleError("\(daily.key("smsWorkoutType.\(locale)")): expected a string") }
            workoutTypes[locale] = text
        }
        self.daily = DailyReminder(schedule: try daily.string("schedule", default: "*/15 * * * *"),
                                   slot: try LocalSlot.read(daily, time: "09:00", window: 60),
                                   sendSMS: try daily.bool("sms", default: true), smsWorkoutType: workoutTypes)

        let weekly = try top.section("weeklyReport")
        self.weekly = WeeklyReport(schedule: try weekly.string("schedule", default: "*/15 * * * *"),
                                   weekday: try weekly.weekday("localDay", default: "sunday"),
                                   slot: try LocalSlot.read(weekly, time: "18:00", window: 60))

        let goals = try top.section("goalCheck")
        goalSchedule = try goals.string("schedule", default: "0 * * * *")
        maxGoalsPerUser = try goals.int("maxGoalsPerUser", default: 20, in: 1...100)

        let cleanup = try top.section("cleanup")
        self.cleanup = Cleanup(
            schedule: try cleanup.string("schedule", default: "0 0 * * *"),
            timeZone: try cleanup.zone("timeZone", default: defaultZone.identifier).identifier,
            readNotificationsDays: try cleanup.int("readNotificationsDays", default: 30, in: 1...3650),
            chatArchiveDays: try cleanup.int("chatArchiveDays", default: 90, in: 1...3650),
            smsCountersHours: try cleanup.int("smsCountersHours", default: 48, in: 1...8760),
            // Longer than the longest period (a week), or a report or goal of this week could be sent again.
            ledgerDays: try cleanup.int("ledgerDays", default: 35, in: 8...3650),
            batchSize: try cleanup.int("batchSize", default: 500, in: 1...10_000))

        templates = try ReminderTemplates(configuration: try top.section("templates"), defaultLocale: defaultLocale)
    }

    /// A user's zone: theirs when tzdata knows it, else the module's default.
    func zone(of user: UserRecord) -> ZoneCalendar {
        user.timeZone.flatMap(ZoneCalendar.init(identifier:)) ?? defaultZone
    }
}
