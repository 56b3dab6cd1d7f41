import GatewayProtocol

/// The 09:00 workout reminder in each user's own zone. The job runs on a fine UTC schedule (every 15 minutes by default,
/// which every zone offset in use is a multiple of) and picks the users whose clock is inside the reminder's slot; the
/// ledger keeps it to one per user and local date, so a late or repeated run never sends twice.
struct DailyReminderJob: Sendable {
    let environment: JobEnvironment

    func run(_ run: JobRun) async throws -> JobOutcome {
        let settings = environment.settings
        guard let notifications = environment.context.service(WellKnownServices.notifications) else {
            return JobOutcome(note: "the notifications service is not running: nothing sent")
        }
        let sms = settings.daily.sendSMS ? environment.context.service(WellKnownServices.sms) : nil
        let now = run.scheduledAtMs
        var counts = RunCounts()
        var pages = environment.activeUsers(sinceMs: now - Int64(settings.activeWithinDays) * RemindersSettings.dayMs)
        while let page = try await pages.next() {
            for user in page {
                let local = settings.zone(of: user).moment(atMs: now)
                guard settings.daily.slot.contains(minuteOfDay: local.minuteOfDay) else { continue }
                let period = local.date.description
                counts.add(try await notify(user, period: period, nowMs: now, notifications), sentName: "notified")
                if let sms, user.smsOptIn, let phone = user.phone, !phone.isEmpty {
                    counts.add(try await text(user, phone: phone, period: period, nowMs: now, sms), sentName: "sms")
                }
            }
        }
        return JobOutcome(counts: counts.values)
    }

    private func notify(_ user: UserRecord, period: String, nowMs: Int64,
                        _ notifications: any NotificationSending) async throws -> JobEnvironment.SendResult {
        let text = environment.settings.templates.render("workout_reminder", locale: user.locale, [:])
        let request = NotificationRequest(userId: user.id, title: text.title, message: text.message, type: "workout_reminder")
        let entry = DeliveryLedger.Entry(kind: "workout_reminder", userId: user.id, period: period, channel: "in_app")
        return try await environment.sendOnce(entry, nowMs: nowMs) { _ = try await notifications.notify(request) }
    }

    private func text(_ user: UserRecord, phone: String, period: String, nowMs: Int64,
                      _ sms: any SMSSending) async throws -> JobEnvironment.SendResult {
        let locale = user.locale ?? environment.settings.defaultLocale
        let request = SMSRequest(to: phone, template: "workout_reminder",
                                 parameters: ["userName": user.name ?? Self.anonymousName(locale: locale),
                                              "workoutType": Self.workoutType(locale: locale, environment.settings)],
                                 locale: locale, purpose: "workout_reminder")
        let entry = DeliveryLedger.Entry(kind: "workout_reminder", userId: user.id, period: period, channel: "sms")
        return try await environment.sendOnce(entry, nowMs: nowMs) { _ = try await sms.send(request) }
    }

    static func workoutType(locale: String, _ settings: RemindersSettings) -> String {
        let chain = ReminderTemplates.localeChain(locale, fallback: settings.defaultLocale)
        return chain.lazy.compactMap { settings.daily.smsWorkoutType[$0] }.first ?? ""
    }

    /// For a user the directory has no name for: the SMS greets them politely instead of with a blank.
    static func anonymousName(locale: String) -> String {
        locale.hasPrefix("ko") ? "회원" : "there"
    }
}
