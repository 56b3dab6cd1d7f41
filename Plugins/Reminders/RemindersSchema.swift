import GatewayProtocol

/// The module's tables. Times are Unix milliseconds.
enum RemindersSchema {
    static let migrations = [
        Migration(version: 1, [
            // What was sent to whom for which period: a row is claimed before sending, so no job sends twice for the
            // same user, period and channel, even when runs overlap across nodes or a run is repeated by hand.
            // `kind` is `workout_reminder`, `weekly_report` or `goal_achieved:<goal id>`; `period` a local date.
            """
            CREATE TABLE reminders_ledger (kind TEXT NOT NULL, user_id TEXT NOT NULL, period TEXT NOT NULL,
                channel TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (kind, user_id, period, channel))
            """,
            "CREATE INDEX reminders_ledger_created ON reminders_ledger (created_at)",
            // Goals the main backend set (PUT /internal/users/:id/goals); a user's set is replaced as a whole.
            """
            CREATE TABLE reminders_goals (user_id TEXT NOT NULL, goal_id TEXT NOT NULL, name TEXT NOT NULL,
                metric TEXT NOT NULL, period TEXT NOT NULL, target DOUBLE PRECISION NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (user_id, goal_id))
            """,
            // Chat messages moved out of the chat tables by the clean-up, kept whole (`message` is the original row as
            // a JSON object) for admins to page through.
            """
            CREATE TABLE reminders_chat_archive (id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, source_id TEXT NOT NULL,
                created_at INTEGER NOT NULL, archived_at INTEGER NOT NULL, message TEXT NOT NULL)
            """,
            "CREATE UNIQUE INDEX reminders_chat_archive_source ON reminders_chat_archive (source_id)",
            "CREATE INDEX reminders_chat_archive_room ON reminders_chat_archive (room_id, created_at)",
        ]),
    ]
}
