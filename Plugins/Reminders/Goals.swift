import GatewayProtocol

/// A goal the main backend set for a user: reach `target` of `metric` within each `period` (the user's local day, or
/// their local week, Monday to Sunday).
struct Goal: Sendable, Equatable, Codable {
    enum Metric: String, Sendable, Codable, CaseIterable {
        case workouts, workoutDays, calories, minutes
    }

    enum Period: String, Sendable, Codable, CaseIterable {
        case day, week
    }

    var id: String
    var name: String
    var metric: Metric
    var period: Period
    var target: Double

    /// The local dates of the period containing `date`: its first day and the day after its last.
    func periodBounds(containing date: LocalDate) -> (first: LocalDate, end: LocalDate) {
        switch period {
        case .day: return (date, date.adding(days: 1))
        case .week: return (date.mondayOfWeek, date.mondayOfWeek.adding(days: 7))
        }
    }

    func value(of totals: WorkoutTotals) -> Double {
        switch metric {
        case .workouts: return Double(totals.totalWorkouts)
        case .workoutDays: return Double(totals.workoutDays)
        case .calories: return totals.totalCalories
        case .minutes: return totals.totalMinutes
        }
    }
}

/// The body of `PUT /internal/users/:id/goals`: the user's whole set of goals (an empty list clears them).
struct GoalsUpdate: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        let id: String
        let name: String?
        let metric: String
        let period: String
        let target: Double
    }

    let goals: [Item]

    /// The goals, checked: ids 1–64 bytes and unique, known metrics and periods, a positive target, names up to 200 bytes.
    func validated(maxGoals: Int) throws(ModuleError) -> [Goal] {
        guard goals.count <= maxGoals else {
            throw ModuleError("goals: at most \(maxGoals) goals per user, got \(goals.count)", code: "invalid_payload")
        }
        var ids: Set<String> = []
        var checked: [Goal] = []
        for (index, item) in goals.enumerated() {
            let field = "goals[\(index)]"
            guard (1...64).contains(item.id.utf8.count) else { throw Self.invalid("\(field).id: must be 1 to 64 bytes") }
            guard ids.insert(item.id).inserted else { throw Self.invalid("\(field).id: \"\(item.id)\" appears twice") }
            guard let metric = Goal.Metric(rawValue: item.metric) else {
                throw Self.invalid("\(field).metric: expected one of \(Goal.Metric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let period = Goal.Period(rawValue: item.period) else {
                throw Self.invalid("\(field).period: expected one of \(Goal.Period.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard item.target > 0, item.target.isFinite else { throw Self.invalid("\(field).target: must be a positive number") }
            let name = item.name ?? item.id
            guard (1...200).contains(name.utf8.count) else { throw Self.invalid("\(field).name: must be 1 to 200 bytes") }
            checked.append(Goal(id: item.id, name: name, metric: metric, period: period, target: item.target))
        }
        return checked
    }

    static func invalid(_ message: String) -> ModuleError { ModuleError(message, status: 400, code: "invalid_payload") }
}

/// The goals table.
struct GoalsStore: Sendable {
    let database: any Database

    func replace(_ goals: [Goal], of userId: String, nowMs: Int64) async throws {
        try await database.transaction { sql in
            try sql.execute("DELETE FROM reminders_goals WHERE user_id = ?", [.text(userId)])
            for goal in goals {
                try sql.execute(
                    "INSERT INTO reminders_goals (user_id, goal_id, name, metric, period, target, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [.text(userId), .text(goal.id), .text(goal.name), .text(goal.metric.rawValue), .text(goal.period.rawValue),
                     .real(goal.target), .integer(nowMs)])
            }
        }
    }

    func goals(of userId: String) async throws -> [Goal] {
        try await database.query(
            "SELECT goal_id, name, metric, period, target FROM reminders_goals WHERE user_id = ? ORDER BY goal_id",
            [.text(userId)]).compactMap(Self.goal)
    }

    /// Every user's goals, `limit` users' worth at a time after the user id `after`, grouped by user.
    func page(after: String, limit: Int) async throws -> [(userId: String, goals: [Goal])] {
        let rows = try await database.query(
            """
            SELECT user_id, goal_id, name, metric, period, target FROM reminders_goals
            WHERE user_id IN (SELECT DISTINCT user_id FROM reminders_goals WHERE user_id > ? ORDER BY user_id LIMIT ?)
            ORDER BY user_id, goal_id
            """, [.text(after), .integer(Int64(limit))])
        var grouped: [(userId: String, goals: [Goal])] = []
        for row in rows {
            guard let userId = row["user_id"].stringValue, let goal = Self.goal(row) else { continue }
            if grouped.last?.userId == userId { grouped[grouped.count - 1].goals.append(goal) } else { grouped.append((userId, [goal])) }
        }
        return grouped
    }

    static func goal(_ row: SQLRow) -> Goal? {
        guard let id = row["goal_id"].stringValue, let name = row["name"].stringValue,
              let metric = row["metric"].stringValue.flatMap(Goal.Metric.init(rawValue:)),
              let period = row["period"].stringValue.flatMap(Goal.Period.init(rawValue:)),
              let target = row["target"].doubleValue else { return nil }
        return Goal(id: id, name: name, metric: metric, period: period, target: target)
    }
}
