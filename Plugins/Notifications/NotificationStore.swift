import GatewayProtocol

/// A notification to save, already validated.
struct NewNotification: Sendable {
    let userId: String
    let type: String
    let priority: String
    let title: String
    let message: String
    let data: JSONValue?
    let expiresAtMs: Int64?
}

/// The module's SQL. Every change runs in one transaction that also reads the user's new unread count and takes its
/// stamp (see `UnreadCountPublisher`); "not expired" is part of every read, so an expired row is never returned even
/// before the purge job deletes it.
struct NotificationStore: Sendable {
    let database: any Database
    let publisher: UnreadCountPublisher

    static let visible = "(expires_at IS NULL OR expires_at > ?)"
    private static let unreadSQL = "SELECT COUNT(*) AS n FROM notifications WHERE user_id = ? AND is_read = 0 AND \(visible)"

    private static func unread(_ tx: any SQLTransaction, _ userId: String, _ now: Int64) throws -> Int {
        try tx.query(unreadSQL, [.text(userId), .integer(now)]).first?["n"].intValue ?? 0
    }

    /// Saves `new` (and whatever `alongside` writes, in the same transaction: the workout or goal it announces).
    func create(_ new: NewNotification, deliveredRealtime: Bool, now: Int64,
                alongside: (@Sendable (any SQLTransaction, Int64) throws -> Void)? = nil) async throws
        -> CountedChange<NotificationRecord> {
        let publisher = self.publisher
        return try await database.transaction { tx in
            let rows = try tx.query(
                """
                INSERT INTO notifications (user_id, type, priority, title, message, data, is_read, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id
                """,
                [.text(new.userId), .text(new.type), .text(new.priority), .text(new.title), .text(new.message),
                 SQLValue(new.data?.serializedText), .integer(now), new.expiresAtMs.map { .integer($0) } ?? .null])
            guard let id = rows.first?["id"].int64Value else { throw StorageError(.other, "INSERT … RETURNING id returned no row") }
            try tx.execute(
                """
                INSERT INTO notifications_delivery_log (notification_id, type, priority, delivered_realtime, created_at)
                VALUES (?, ?, ?, ?, ?)
                """, [.integer(id), .text(new.type), .text(new.priority), .integer(deliveredRealtime ? 1 : 0), .integer(now)])
            try alongside?(tx, id)
            let record = NotificationRecord(id: id, userId: new.userId, type: new.type, priority: new.priority, title: new.title,
                                            message: new.message, data: new.data, isRead: false, readAtMs: nil,
                                            createdAtMs: now, expiresAtMs: new.expiresAtMs)
            return CountedChange(value: record, unreadCount: try Self.unread(tx, new.userId, now), stamp: publisher.stamp())
        }
    }

    /// The count as a change of its own, so that the count sent at connect is ordered with the others.
    func currentCount(of userId: String, now: Int64) async throws -> CountedChange<Void> {
        let publisher = self.publisher
        return try await database.transaction { tx in
            CountedChange(value: (), unreadCount: try Self.unread(tx, userId, now), stamp: publisher.stamp())
        }
    }

    func unreadCount(of userId: String, now: Int64) async throws -> Int {
        try await database.query(Self.unreadSQL, [.text(userId), .integer(now)]).first?["n"].intValue ?? 0
    }

    struct Page: Sendable {
        let notifications: [NotificationRecord]
        let totalCount: Int
        let unreadCount: Int
    }

    /// Newest first.
    func page(of userId: String, limit: Int, offset: Int, now: Int64) async throws -> Page {
        let counts = try await database.query(
            """
            SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN is_read = 0 THEN 1 ELSE 0 END), 0) AS unread
            FROM notifications WHERE user_id = ? AND \(Self.visible)
            """, [.text(userId), .integer(now)]).first
        let rows = try await database.query(
            """
            SELECT \(NotificationRecord.columns) FROM notifications WHERE user_id = ? AND \(Self.visible)
            ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?
            """, [.text(userId), .integer(now), .integer(Int64(limit)), .integer(Int64(offset))])
        return Page(notifications: rows.map(NotificationRecord.init(row:)), totalCount: counts?["total"].intValue ?? 0,
                    unreadCount: counts?["unread"].intValue ?? 0)
    }

    /// What a read changed: nil when the user has no such notification; `readNow` false when it was already read.
    struct Read: Sendable {
        let readNow: Bool
        let type: String
        let createdAtMs: Int64
    }

    func markRead(_ id: Int64, of userId: String, now: Int64) async throws -> CountedChange<Read>? {
        let publisher = self.publisher
        return try await database.transaction { tx -> CountedChange<Read>? in
            guard let row = try tx.query(
                "SELECT is_read, type, created_at FROM notifications WHERE id = ? AND user_id = ? AND \(Self.visible)",
                [.integer(id), .text(userId), .integer(now)]).first else { return nil }
            let wasRead = row["is_read"].boolValue ?? false
            if !wasRead {
                try tx.execute("UPDATE notifications SET is_read = 1, read_at = ? WHERE id = ?", [.integer(now), .integer(id)])
                try tx.execute("UPDATE notifications_delivery_log SET read_at = ? WHERE notification_id = ? AND read_at IS NULL",
                               [.integer(now), .integer(id)])
            }
            let read = Read(readNow: !wasRead, type: row["type"].stringValue ?? "", createdAtMs: row["created_at"].int64Value ?? now)
            return CountedChange(value: read, unreadCount: try Self.unread(tx, userId, now), stamp: publisher.stamp())
        }
    }

    /// Marks every visible unread notification read; the value is the ones it changed (for the read metrics).
    func markAllRead(of userId: String, now: Int64) async throws -> CountedChange<[Read]> {
        let publisher = self.publisher
        return try await database.transaction { tx in
            let rows = try tx.query(
                "SELECT id, type, created_at FROM notifications WHERE user_id = ? AND is_read = 0 AND \(Self.visible)",
                [.text(userId), .integer(now)])
            try tx.execute("UPDATE notifications SET is_read = 1, read_at = ? WHERE user_id = ? AND is_read = 0 AND \(Self.visible)",
                           [.integer(now), .text(userId), .integer(now)])
            for row in rows {
                try tx.execute("UPDATE notifications_delivery_log SET read_at = ? WHERE notification_id = ? AND read_at IS NULL",
                               [.integer(now), row["id"]])
            }
            let reads = rows.map { Read(readNow: true, type: $0["type"].stringValue ?? "", createdAtMs: $0["created_at"].int64Value ?? now) }
            return CountedChange(value: reads, unreadCount: try Self.unread(tx, userId, now), stamp: publisher.stamp())
        }
    }

    /// Nil when the user has no such (visible) notification.
    func delete(_ id: Int64, of userId: String, now: Int64) async throws -> CountedChange<Void>? {
        let publisher = self.publisher
        return try await database.transaction { tx -> CountedChange<Void>? in
            let deleted = try tx.execute("DELETE FROM notifications WHERE id = ? AND user_id = ? AND \(Self.visible)",
                                         [.integer(id), .text(userId), .integer(now)])
            guard deleted.changes > 0 else { return nil }
            return CountedChange(value: (), unreadCount: try Self.unread(tx, userId, now), stamp: publisher.stamp())
        }
    }

    /// Deletes expired notifications, and delivery-log rows older than `logBefore`. Returns the notifications deleted.
    func purge(now: Int64, logBefore: Int64) async throws -> Int {
        let expired = try await database.execute("DELETE FROM notifications WHERE expires_at IS NOT NULL AND expires_at <= ?",
                                                 [.integer(now)])
        try await database.execute("DELETE FROM notifications_delivery_log WHERE created_at < ?", [.integer(logBefore)])
        return expired.changes
    }

    func recordFallback(_ id: Int64, channel: String, status: String) async throws {
        try await database.execute(
            "UPDATE notifications_delivery_log SET fallback_channel = ?, fallback_status = ? WHERE notification_id = ?",
            [.text(channel), .text(status), .integer(id)])
    }
}
