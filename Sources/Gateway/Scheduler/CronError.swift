/// Why a cron expression was refused, naming the field and the token so the author can fix the schedule.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    /// `minute`, `hour`, `day-of-month`, `month` or `day-of-week`; nil when the expression as a whole is wrong.
    public let field: String?
    public let token: String?
    public let reason: String

    public var description: String {
        var text = "invalid cron expression \"\(expression)\": "
        if let field { text += "\(field) field: " }
        if let token { text += "\"\(token)\" " }
        return text + reason
    }
}
