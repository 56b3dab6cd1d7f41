import GatewayProtocol

/// A notification's title and message with `{parameter}` placeholders.
struct NotificationText: Sendable, Equatable {
    var title: String
    var message: String
}

/// The texts the jobs send, by template name and locale. The module renders them itself (rather than through the
/// Notifications module's templates) because its notifications carry the report's numbers as `data` too, as the old
/// server's weekly report did.
struct ReminderTemplates: Sendable {
    static let names = ["workout_reminder", "weekly_report", "weekly_report_no_workouts", "goal_achieved"]

    /// Korean first (FitMate's language; the old server's texts, with emoji chosen anew: the old document lost them), then
    /// English.
    static let defaults: [String: [String: NotificationText]] = [
        "workout_reminder": [
            "ko": NotificationText(title: "운동 시간이에요! 💪", message: "오늘의 운동을 시작해보세요. 건강한 하루를 만들어가요!"),
            "en": NotificationText(title: "Time to work out! 💪", message: "Start today's workout and make it a healthy day!"),
        ],
        "weekly_report": [
            "ko": NotificationText(title: "주간 운동 리포트 📊",
                                   message: "이번 주 {workoutDays}일 운동했어요! 총 {totalWorkouts}회, {totalCalories}칼로리 소모, 평균 {averageWorkoutTime}분!"),
            "en": NotificationText(title: "Your weekly report 📊",
                                   message: "You worked out on {workoutDays} days this week: {totalWorkouts} workouts, {totalCalories} calories, {averageWorkoutTime} minutes on average!"),
        ],
        // A week without workouts gets encouragement, not a report of zeros.
        "weekly_report_no_workouts": [
            "ko": NotificationText(title: "주간 운동 리포트 📊", message: "이번 주는 운동 기록이 없어요. 다음 주에 다시 시작해봐요! 💪"),
            "en": NotificationText(title: "Your weekly report 📊", message: "No workouts this week. Let's get moving again next week! 💪"),
        ],
        "goal_achieved": [
            "ko": NotificationText(title: "목표 달성! 🏆", message: "{goalName} 목표를 달성했습니다! 축하드려요!"),
            "en": NotificationText(title: "Goal achieved! 🏆", message: "You reached your goal: {goalName}. Congratulations!"),
        ],
    ]

    let texts: [String: [String: NotificationText]]
    let defaultLocale: String

    /// The defaults with `templates.<name>.<locale>.{title,message}` from the configuration laid over them.
    init(configuration: ConfigurationReader, defaultLocale: String) throws(ModuleError) {
        var texts = Self.defaults
        for (name, value) in configuration.object {
            guard Self.names.contains(name) else {
                throw ModuleError("\(configuration.key(name)): unknown template (known: \(Self.names.joined(separator: ", ")))")
            }
            guard let locales = value.objectValue else { throw ModuleError("\(configuration.key(name)): expected an object of locales") }
            for (locale, text) in locales {
                let key = configuration.key("\(name).\(locale)")
                guard let title = text["title"]?.stringValue, !title.isEmpty,
                      let message = text["message"]?.stringValue, !message.isEmpty else {
                    throw ModuleError("\(key): expected {\"title\": …, \"message\": …} with non-empty strings")
                }
                texts[name, default: [:]][locale] = NotificationText(title: title, message: message)
            }
        }
        for name in Self.names where texts[name]?[defaultLocale] == nil {
            throw ModuleError("\(configuration.key(name)): needs a text in the default locale \"\(defaultLocale)\"")
        }
        self.texts = texts
        self.defaultLocale = defaultLocale
    }

    /// `name` in `locale` (`en-US` falls back to `en`, then to the default locale), placeholders filled in. A placeholder
    /// without a parameter stays as written, so a typo in a configured template shows instead of vanishing.
    func render(_ name: String, locale: String?, _ parameters: [String: String]) -> NotificationText {
        let byLocale = texts[name] ?? [:]
        let chosen = Self.localeChain(locale, fallback: defaultLocale).lazy.compactMap { byLocale[$0] }.first
            ?? NotificationText(title: name, message: name)
        return NotificationText(title: TextTemplate.fill(chosen.title, parameters),
                                message: TextTemplate.fill(chosen.message, parameters))
    }

    /// `ko-KR` → `["ko-KR", "ko", default]`.
    static func localeChain(_ locale: String?, fallback: String) -> [String] {
        guard let locale, !locale.isEmpty else { return [fallback] }
        var chain = [locale]
        if let dash = locale.firstIndex(where: { $0 == "-" || $0 == "_" }) { chain.append(String(locale[..<dash])) }
        chain.append(fallback)
        return chain
    }
}
