import GatewayProtocol

/// Message texts by locale and name, with `{placeholder}`s. Korean defaults are the old server's texts; configuration
/// (`templates.<locale>.<name>`) overrides or adds any of them.
struct SMSTemplates: Sendable {
    static let workoutReminder = "workout_reminder"
    static let workoutRecommendation = "workout_recommendation"
    static let otp = "otp"
    static let custom = "custom"

    static let defaults: [String: [String: String]] = [
        "ko": [
            workoutReminder: "안녕하세요 {userName}님! 🏃‍♂️\n\n오늘 {workoutType} 운동 시간입니다.\nFitMate와 함께 건강한 하루 시작하세요!\n\n앱에서 확인: {appUrl}",
            workoutRecommendation: "{userName}님을 위한 오늘의 추천 운동 💪\n\n{exercises}\n\n지금 시작해보세요!\nFitMate 앱: {appUrl}",
            otp: "FitMate 인증번호: {code}\n\n5분 내에 입력해주세요.\n타인에게 알리지 마세요.",
            custom: "{message}",
        ],
        "en": [
            workoutReminder: "Hi {userName}! 🏃‍♂️\n\nIt's time for today's {workoutType} workout.\nStart a healthy day with FitMate!\n\nOpen the app: {appUrl}",
            workoutRecommendation: "Today's workouts for {userName} 💪\n\n{exercises}\n\nStart now!\nFitMate app: {appUrl}",
            otp: "FitMate verification code: {code}\n\nEnter it within 5 minutes.\nDo not share it with anyone.",
            custom: "{message}",
        ],
    ]

    let byLocale: [String: [String: String]]
    let defaultLocale: String
    /// Filled in as `{appUrl}` in every template.
    let appURL: String

    init(configured: JSONObject?, defaultLocale: String, appURL: String) throws(ModuleError) {
        var merged = Self.defaults
        for (locale, section) in configured ?? [:] {
            guard let texts = section.objectValue else { throw ModuleError("templates.\(locale): must be an object of name: text") }
            for (name, text) in texts {
                guard let text = text.stringValue else { throw ModuleError("templates.\(locale).\(name): must be a string") }
                merged[locale, default: [:]][name] = text
            }
        }
        guard merged[defaultLocale] != nil else {
            throw ModuleError("defaultLocale: no templates for '\(defaultLocale)' (have \(merged.keys.sorted().joined(separator: ", ")))")
        }
        byLocale = merged
        self.defaultLocale = defaultLocale
        self.appURL = appURL
    }

    /// The text of `name` in `locale` (its language part, `ko-KR` → `ko`), else in the default locale.
    func render(_ name: String, locale: String?, parameters: [String: String]) throws(ModuleError) -> String {
        let language = locale.map { String($0.split(separator: "-").first ?? "") }
        let template = language.flatMap { byLocale[$0]?[name] } ?? byLocale[defaultLocale]?[name]
        guard let template else { throw ModuleError("template: unknown template '\(name)'", status: 400, code: "unknown_template") }
        var values = parameters
        values["appUrl"] = values["appUrl"] ?? appURL
        if let missing = TextTemplate.placeholders(template).first(where: { values[$0] == nil }) {
            throw ModuleError("\(missing) is required by the template '\(name)'", status: 400, code: "invalid_payload")
        }
        return TextTemplate.fill(template, values)
    }
}
