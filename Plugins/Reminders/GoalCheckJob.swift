import GatewayProtocol

/// Hourly: every goal's progress over its current period on the user's clock, and one `goal_achieved` notification the
/// first time it is reached in that period (the ledger records it; later checks of the same period send nothing).
struct GoalCheckJob: Sendable {
    let environment: JobEnvironment

    func run(_ run: JobRun) async throws -> JobOutcome {
        let settings = environment.settings
        let notifications: any NotificationSending, log: WorkoutLog
        switch try await environment.workoutInputs("goal checks") {
        case .ready(let service, let workouts): (notifications, log) = (service, workouts)
        case .missing(let outcome): return outcome
        }
        let store = GoalsStore(database: environment.context.database)
        let now = run.scheduledAtMs
        var counts = RunCounts()
        var after = ""
        while true {
            let page = try await store.page(after: after, limit: 200)
            let directory = try await environment.context.users.users(page.map(\.userId))
            for (userId, goals) in page {
                let user = directory[userId] ?? UserRecord(id: userId)
                let zone = settings.zone(of: user)
                let today = zone.moment(atMs: now).date
                // One read covers every goal: weeks start on or before today, days on it.
                let earliest = goals.map { $0.periodBounds(containing: today).first }.min()!
                let workouts = try await log.workouts(of: userId, fromMs: zone.startMs(of: earliest), untilMs: now + 1)
                for goal in goals {
                    let bounds = goal.periodBounds(containing: today)
                    let startMs = zone.startMs(of: bounds.first)
                    let value = goal.value(of: WorkoutTotals(workouts.filter { $0.performedAtMs >= startMs }, zone: zone))
                    counts.add("checked")
                    guard value >= goal.target else { continue }
                    let entry = DeliveryLedger.Entry(kind: "goal_achieved:\(goal.id)", userId: userId,
                                                     period: "\(goal.period.rawValue):\(bounds.first)", channel: "in_app")
                    let request = Self.notification(goal, value: value, periodStart: bounds.first, user: user, settings: settings)
                    counts.add(try await environment.sendOnce(entry, nowMs: now) { _ = try await notifications.notify(request) },
                               sentName: "notified")
                }
            }
            guard page.count == 200, let last = page.last else { break }
            after = last.userId
        }
        return JobOutcome(counts: counts.values)
    }

    static func notification(_ goal: Goal, value: Double, periodStart: LocalDate, user: UserRecord,
                             settings: RemindersSettings) -> NotificationRequest {
        let text = settings.templates.render("goal_achieved", locale: user.locale, ["goalName": goal.name])
        let data: JSONObject = ["goalId": .string(goal.id), "goalName": .string(goal.name), "metric": .string(goal.metric.rawValue),
                                "period": .string(goal.period.rawValue), "periodStart": .string(periodStart.description),
                                "target": Self.number(goal.target), "achieved": Self.number(value)]
        return NotificationRequest(userId: user.id, title: text.title, message: text.message, type: "goal_achieved",
                                   data: .object(data))
    }

    /// Whole numbers as JSON integers (`3`, not `3.0`).
    static func number(_ value: Double) -> JSONValue {
        value == value.rounded() && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
    }
}
