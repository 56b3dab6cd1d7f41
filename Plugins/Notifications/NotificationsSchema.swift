import GatewayProtocol

/// The module's tables. Other modules read two of them by SQL (Reminders: the weekly report and goal checks read
/// `notifications_workouts` and `notifications_goals`, and its clean-up deletes old read rows of `notifications`), so
/// their columns are a contract too: README.md lists them. Times are Unix milliseconds, booleans 0/1.
enum NotificationsSchema {
    static let migrations = [
        Migration(version: 1, [
            // One row per notification a user can see. `expires_at` NULL: never expires.
            """
            CREATE TABLE notifications (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, type TEXT NOT NULL,
                priority TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL, data TEXT,
                is_read INTEGER NOT NULL DEFAULT 0, read_at INTEGER, created_at INTEGER NOT NULL, expires_at INTEGER)
            """,
            "CREATE INDEX notifications_user_created ON notifications (user_id, created_at)",
            // Covers the unread count (run after every change), so it never reads the rows themselves.
            "CREATE INDEX notifications_user_unread ON notifications (user_id, is_read, expires_at)",
            "CREATE INDEX notifications_expiry ON notifications (expires_at)",
            // What happened to each notification, kept when the user deletes it or it expires, for the analytics.
            """
            CREATE TABLE notifications_delivery_log (notification_id INTEGER PRIMARY KEY, type TEXT NOT NULL,
                priority TEXT NOT NULL, delivered_realtime INTEGER NOT NULL, fallback_channel TEXT, fallback_status TEXT,
                created_at INTEGER NOT NULL, read_at INTEGER)
            """,
            "CREATE INDEX notifications_delivery_log_created ON notifications_delivery_log (created_at)",
            // Workouts the main backend reported (POST /internal/events/workout-completed).
            """
            CREATE TABLE notifications_workouts (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, exercise_name TEXT NOT NULL,
                duration_minutes DOUBLE PRECISION NOT NULL, calories DOUBLE PRECISION NOT NULL,
                performed_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL, notification_id INTEGER NOT NULL)
            """,
            "CREATE INDEX notifications_workouts_user ON notifications_workouts (user_id, performed_at)",
            // Goals the main backend reported reached (POST /internal/events/goal-achieved); `data` is the payload's JSON.
            """
            CREATE TABLE notifications_goals (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, goal_name TEXT NOT NULL,
                data TEXT NOT NULL, achieved_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
                notification_id INTEGER NOT NULL)
            """,
            "CREATE INDEX notifications_goals_user ON notifications_goals (user_id, achieved_at)",
        ]),
    ]
}
