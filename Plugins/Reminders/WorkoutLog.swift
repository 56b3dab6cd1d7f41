import GatewayProtocol

/// One workout the main backend reported.
struct Workout: Sendable, Equatable {
    let performedAtMs: Int64
    let durationMinutes: Double
    let calories: Double
}

/// The workouts the Notifications module records from `POST /internal/events/workout-completed`, read from its table
/// `notifications_workouts` (its README lists the columns as a contract). `available()` is false when that module never
/// ran here: reports and goals then say so instead of telling everyone they did nothing.
struct WorkoutLog: Sendable {
    let database: any Database

    func available() async throws -> Bool {
        try await TableProbe(database: database).exists("notifications_workouts",
                                                       columns: ["user_id", "performed_at", "duration_minutes", "calories"])
    }

    /// `userId`'s workouts performed in `[fromMs, untilMs)`.
    func workouts(of userId: String, fromMs: Int64, untilMs: Int64) async throws -> [Workout] {
        try await database.query(
            """
            SELECT performed_at, duration_minutes, calories FROM notifications_workouts
            WHERE user_id = ? AND performed_at >= ? AND performed_at < ? ORDER BY performed_at
            """, [.text(userId), .integer(fromMs), .integer(untilMs)]).map {
            Workout(performedAtMs: $0["performed_at"].int64Value ?? 0, durationMinutes: $0["duration_minutes"].doubleValue ?? 0,
                    calories: $0["calories"].doubleValue ?? 0)
        }
    }

    /// Users with a workout performed in `[fromMs, untilMs)`, ordered by id.
    func users(fromMs: Int64, untilMs: Int64) async throws -> [String] {
        try await database.query(
            "SELECT DISTINCT user_id FROM notifications_workouts WHERE performed_at >= ? AND performed_at < ? ORDER BY user_id",
            [.integer(fromMs), .integer(untilMs)]).compactMap { $0["user_id"].stringValue }
    }
}

/// Totals of a set of workouts, days counted on the user's own calendar.
struct WorkoutTotals: Sendable, Equatable {
    let workoutDays: Int
    let totalWorkouts: Int
    let totalCalories: Double
    let totalMinutes: Double

    init(_ workouts: [Workout], zone: ZoneCalendar) {
        workoutDays = Set(workouts.map { zone.moment(atMs: $0.performedAtMs).date }).count
        totalWorkouts = workouts.count
        totalCalories = workouts.reduce(0) { $0 + $1.calories }
        totalMinutes = workouts.reduce(0) { $0 + $1.durationMinutes }
    }

    /// Minutes per workout, rounded; 0 without workouts.
    var averageMinutes: Int { totalWorkouts == 0 ? 0 : Int((totalMinutes / Double(totalWorkouts)).rounded()) }
}

/// Whether a table with the given columns exists, asked portably (a query that selects nothing): clean-up and reports
/// must cope with modules that are not enabled on this gateway.
struct TableProbe: Sendable {
    let database: any Database

    func exists(_ table: String, columns: [String]) async throws(StorageError) -> Bool {
        do {
            _ = try await database.query("SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE 1 = 0", [])
        } catch {
            guard error.kind == .invalidSQL else { throw error }
            return false
        }
        return true
    }
}
