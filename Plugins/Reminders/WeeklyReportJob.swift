import GatewayProtocol

/// The weekly report, Sunday 18:00 on each user's clock by default: days with a workout, workouts, calories and average
/// duration over the seven local days ending with the report's day, up to the report. A week without workouts gets the
/// encouraging text instead. Recipients: users active within `activeWithinDays` and anyone with a workout that week.
struct WeeklyReportJob: Sendable {
    let environment: JobEnvironment

    func run(_ run: JobRun) async throws -> JobOutcome {
        let settings = environment.settings
        let notifications: any NotificationSending, log: WorkoutLog
        switch try await environment.workoutInputs("reports") {
        case .ready(let service, let workouts): (notifications, log) = (service, workouts)
        case .missing(let outcome): return outcome
        }
        let now = run.scheduledAtMs
        var counts = RunCounts()
        var seen: Set<String> = []
        var pages = environment.activeUsers(sinceMs: now - Int64(settings.activeWithinDays) * RemindersSettings.dayMs)
        while let page = try await pages.next() {
            for user in page where seen.insert(user.id).inserted {
                if let (result, encouraged) = try await report(user, nowMs: now, log, notifications) {
                    counts.add(result, sentName: encouraged ? "encouraged" : "notified")
                }
            }
        }
        // Users who worked out but were not seen in the app lately (the backend reported their workouts) get theirs too.
        // Eight days back covers the longest local week in any zone.
        let workedOut = try await log.users(fromMs: now - 8 * RemindersSettings.dayMs, untilMs: now + 1).filter { !seen.contains($0) }
        let directory = try await environment.context.users.users(workedOut)
        for id in workedOut {
            if let (result, encouraged) = try await report(directory[id] ?? UserRecord(id: id), nowMs: now, log, notifications) {
                counts.add(result, sentName: encouraged ? "encouraged" : "notified")
            }
        }
        return JobOutcome(counts: counts.values)
    }

    /// Nil when the user's clock is not at the report's slot; else what happened and whether it was the encouraging text.
    private func report(_ user: UserRecord, nowMs now: Int64, _ log: WorkoutLog,
                        _ notifications: any NotificationSending) async throws -> (JobEnvironment.SendResult, Bool)? {
        let settings = environment.settings
        let zone = settings.zone(of: user)
        let local = zone.moment(atMs: now)
        guard local.date.weekday == settings.weekly.weekday, settings.weekly.slot.contains(minuteOfDay: local.minuteOfDay) else {
            return nil
        }
        let firstDay = local.date.adding(days: -6)
        let totals = WorkoutTotals(try await log.workouts(of: user.id, fromMs: zone.startMs(of: firstDay), untilMs: now + 1), zone: zone)
        let request = Self.notification(for: user, totals: totals, week: (firstDay, local.date), settings: settings)
        let entry = DeliveryLedger.Entry(kind: "weekly_report", userId: user.id, period: local.date.description, channel: "in_app")
        let result = try await environment.sendOnce(entry, nowMs: now) { _ = try await notifications.notify(request) }
        return (result, totals.totalWorkouts == 0)
    }

    static func notification(for user: UserRecord, totals: WorkoutTotals, week: (first: LocalDate, last: LocalDate),
                             settings: RemindersSettings) -> NotificationRequest {
        let numbers: [String: Int] = ["workoutDays": totals.workoutDays, "totalWorkouts": totals.totalWorkouts,
                                      "totalCalories": Int(totals.totalCalories.rounded()),
                                      "averageWorkoutTime": totals.averageMinutes]
        let template = totals.totalWorkouts == 0 ? "weekly_report_no_workouts" : "weekly_report"
        let text = settings.templates.render(template, locale: user.locale, numbers.mapValues { "\($0)" })
        // The old server's `data` keys, which FitMate's client reads, plus the week it covers.
        var data: JSONObject = [:]
        for key in ["workoutDays", "totalCalories", "totalWorkouts", "averageWorkoutTime"] { data[key] = .int(numbers[key]!) }
        data["weekStart"] = .string(week.first.description)
        data["weekEnd"] = .string(week.last.description)
        return NotificationRequest(userId: user.id, title: text.title, message: text.message, type: "weekly_report",
                                   data: .object(data))
    }
}
