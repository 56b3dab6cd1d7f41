import GatewayProtocol

/// The module's tables. Portable SQL (SQLite and PostgreSQL): integer Unix-ms times, `ON CONFLICT … DO UPDATE`.
enum SMSSchema {
    static let migrations = [
        Migration(version: 1, [
            // One row per message the module was asked to send, whatever became of it. `body` is kept only when it holds
            // no secret (never for one-time codes).
            """
            CREATE TABLE sms_messages (
                id INTEGER PRIMARY KEY,
                to_number TEXT NOT NULL,
                template TEXT NOT NULL,
                purpose TEXT NOT NULL,
                body TEXT,
                user_id TEXT,
                status TEXT NOT NULL,
                provider TEXT NOT NULL,
                provider_id TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                error_code TEXT,
                error_message TEXT,
                created_at_ms INTEGER NOT NULL,
                updated_at_ms INTEGER NOT NULL,
                sent_at_ms INTEGER,
                delivered_at_ms INTEGER
            )
            """,
            "CREATE UNIQUE INDEX sms_messages_provider_id ON sms_messages (provider_id)",
            "CREATE INDEX sms_messages_created ON sms_messages (created_at_ms)",
            // Fixed-window counters: rate limits per number and per client address, and the daily global cap.
            """
            CREATE TABLE sms_counters (
                bucket TEXT PRIMARY KEY,
                window_start_ms INTEGER NOT NULL,
                hits INTEGER NOT NULL
            )
            """,
            // At most one live code per number: a new request replaces the old code.
            """
            CREATE TABLE sms_otp_codes (
                phone TEXT PRIMARY KEY,
                code_hash BLOB NOT NULL,
                attempts INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL
            )
            """,
            // The per-install pepper of the code hashes: a stolen database alone does not let anyone try 10^6 codes.
            "CREATE TABLE sms_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
        ]),
    ]
}

/// Fixed-window counters in storage, so that limits hold across restarts and across gateway nodes sharing a database.
struct WindowCounters: Sendable {
    let database: any Database

    struct Verdict: Sendable {
        let allowed: Bool
        /// Seconds until the window ends (at least 1).
        let retryAfterSeconds: Int
    }

    /// Counts one hit in `bucket`'s current window (windows are aligned to multiples of `windowMs` since the epoch, so UTC
    /// days for a day-long window) and says whether it stays within `limit`.
    func hit(_ bucket: String, limit: Int, windowMs: Int64, nowMs: Int64) async throws -> Verdict {
        let windowStart = nowMs - nowMs % windowMs
        let rows = try await database.query("""
            INSERT INTO sms_counters (bucket, window_start_ms, hits) VALUES (?, ?, 1)
            ON CONFLICT (bucket) DO UPDATE SET
                hits = CASE WHEN sms_counters.window_start_ms = excluded.window_start_ms THEN sms_counters.hits + 1 ELSE 1 END,
                window_start_ms = excluded.window_start_ms
            RETURNING hits
            """, [.text(bucket), .integer(windowStart)])
        let hits = rows.first?["hits"].intValue ?? Int.max
        let remainingMs = windowStart + windowMs - nowMs
        return Verdict(allowed: hits <= limit, retryAfterSeconds: max(1, Int((remainingMs + 999) / 1000)))
    }
}
