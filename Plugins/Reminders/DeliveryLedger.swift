import GatewayProtocol

/// "Never twice for the same user and period": a send is preceded by claiming its row. The claim is given back only
/// when the send failed, so a later run can try again; a crash between claim and send loses that one message rather
/// than risking a second.
struct DeliveryLedger: Sendable {
    let database: any Database

    struct Entry: Sendable, Hashable {
        let kind: String
        let userId: String
        let period: String
        let channel: String
    }

    /// True when this caller now owns `entry` and should send.
    func claim(_ entry: Entry, nowMs: Int64) async throws -> Bool {
        let result = try await database.execute(
            """
            INSERT INTO reminders_ledger (kind, user_id, period, channel, created_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (kind, user_id, period, channel) DO NOTHING
            """,
            [.text(entry.kind), .text(entry.userId), .text(entry.period), .text(entry.channel), .integer(nowMs)])
        return result.changes == 1
    }

    func release(_ entry: Entry) async throws {
        try await database.execute(
            "DELETE FROM reminders_ledger WHERE kind = ? AND user_id = ? AND period = ? AND channel = ?",
            [.text(entry.kind), .text(entry.userId), .text(entry.period), .text(entry.channel)])
    }

    /// Rows older than any period still open; returns how many went.
    func purge(olderThanMs cutoff: Int64) async throws -> Int {
        try await database.execute("DELETE FROM reminders_ledger WHERE created_at < ?", [.integer(cutoff)]).changes
    }
}
