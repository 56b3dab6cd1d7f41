import GatewayProtocol

/// The module's SQL. Each operation that checks access does so in the same transaction as its work, so a member removed
/// meanwhile is never half-served and a send costs one round trip to storage.
struct ChatStore: Sendable {
    let database: any Database

    /// What a new message carries before it has an id.
    struct Draft: Sendable {
        let room: ChatRoomID
        let message: String
        let messageType: String
        let replyTo: Int64?
        let metadata: JSONValue?
        /// `metadata` as stored.
        let metadataText: String?
    }

    struct Saved: Sendable {
        let message: ChatMessage
        let access: RoomAccess
    }

    struct Page: Sendable {
        let messages: [ChatMessage]
        let totalCount: Int
        let readers: [String: Int64]
    }

    struct Deleted: Sendable {
        let id: Int64
        let roomId: String
    }

    /// The members of a managed room, or nil when it does not exist (support rooms are never stored).
    private static func members(of room: ChatRoomID, _ tx: any SQLTransaction) throws(StorageError) -> [String]? {
        let rows = try tx.query(
            "SELECT r.id, m.user_id FROM chat_rooms r LEFT JOIN chat_members m ON m.room_id = r.id WHERE r.id = ?",
            [.text(room.value)])
        if rows.isEmpty { return nil }
        return rows.compactMap { $0["user_id"].stringValue }
    }

    private static func access(_ room: ChatRoomID, _ user: Identity, _ tx: any SQLTransaction) throws -> RoomAccess {
        let members = room.supportOwner == nil ? try members(of: room, tx) : nil
        return try RoomAccess.check(room, user: user, members: members)
    }

    func access(_ room: ChatRoomID, user: Identity) async throws -> RoomAccess {
        try await database.transaction { tx in try Self.access(room, user, tx) }
    }

    func save(_ draft: Draft, from user: Identity, at now: Int64) async throws -> Saved {
        try await database.transaction { tx in
            let access = try Self.access(draft.room, user, tx)
            if let replyTo = draft.replyTo {
                let found = try tx.query("SELECT id FROM chat_messages WHERE id = ? AND room_id = ? AND is_deleted = 0",
                                         [.integer(replyTo), .text(draft.room.value)])
                guard !found.isEmpty else {
                    throw ModuleError("replyTo: message \(replyTo) is not in chat room \(draft.room)", code: "invalid_reply")
                }
            }
            let rows = try tx.query(
                """
                INSERT INTO chat_messages (room_id, sender_id, message, message_type, reply_to, metadata, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                [.text(draft.room.value), .text(user.userId), .text(draft.message), .text(draft.messageType),
                 draft.replyTo.map { .integer($0) } ?? .null, SQLValue(draft.metadataText), .integer(now)])
            let message = ChatMessage(id: rows.first?["id"].int64Value ?? 0, roomId: draft.room.value, senderId: user.userId,
                                      message: draft.message, messageType: draft.messageType, replyTo: draft.replyTo,
                                      metadata: draft.metadata, createdAt: now)
            return Saved(message: message, access: access)
        }
    }

    /// Messages not deleted, newest `limit` after skipping `offset` (and only older than `before` when given), returned
    /// oldest first; with the room's count and read cursors. Access is checked first.
    func page(_ room: ChatRoomID, user: Identity, limit: Int, offset: Int, before: Int64?) async throws -> Page {
        try await database.transaction { tx in
            _ = try Self.access(room, user, tx)
            var sql = "SELECT \(ChatMessage.columns) FROM chat_messages WHERE room_id = ? AND is_deleted = 0"
            var parameters: [SQLValue] = [.text(room.value)]
            if let before {
                sql += " AND id < ?"
                parameters.append(.integer(before))
            }
            sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
            parameters += [.integer(Int64(limit)), .integer(Int64(offset))]
            let messages = try tx.query(sql, parameters).reversed().map(ChatMessage.init(row:))
            let total = try tx.query("SELECT COUNT(*) AS n FROM chat_messages WHERE room_id = ? AND is_deleted = 0",
                                     [.text(room.value)]).first?["n"].intValue ?? 0
            return Page(messages: messages, totalCount: total, readers: try Self.readers(room, tx))
        }
    }

    private static func readers(_ room: ChatRoomID, _ tx: any SQLTransaction) throws(StorageError) -> [String: Int64] {
        var readers: [String: Int64] = [:]
        for row in try tx.query("SELECT user_id, last_read_id FROM chat_reads WHERE room_id = ?", [.text(room.value)]) {
            if let user = row["user_id"].stringValue { readers[user] = row["last_read_id"].int64Value ?? 0 }
        }
        return readers
    }

    /// Moves the user's read cursor to the room's newest message (never backwards). Returns that message's id.
    func markRead(_ room: ChatRoomID, user: Identity, at now: Int64) async throws -> Int64? {
        try await database.transaction { tx in
            _ = try Self.access(room, user, tx)
            guard let last = try tx.query("SELECT MAX(id) AS last FROM chat_messages WHERE room_id = ?",
                                          [.text(room.value)]).first?["last"].int64Value else { return nil }
            try tx.execute(
                """
                INSERT INTO chat_reads (room_id, user_id, last_read_id, read_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (room_id, user_id) DO UPDATE SET last_read_id = excluded.last_read_id, read_at = excluded.read_at
                WHERE excluded.last_read_id > chat_reads.last_read_id
                """,
                [.text(room.value), .text(user.userId), .integer(last), .integer(now)])
            return last
        }
    }

    /// Soft delete: the row stays (for moderation) but is never served again. Only its sender or an admin may.
    func delete(messageId: Int64, by user: Identity, at now: Int64) async throws -> Deleted {
        try await database.transaction { tx in
            let rows = try tx.query("SELECT room_id, sender_id FROM chat_messages WHERE id = ? AND is_deleted = 0",
                                    [.integer(messageId)])
            guard let row = rows.first, let roomId = row["room_id"].stringValue else {
                throw ModuleError.notFound("message \(messageId) does not exist")
            }
            guard user.isAdmin || row["sender_id"].stringValue == user.userId else {
                throw ModuleError.forbidden("only its sender or an admin may delete message \(messageId)")
            }
            try tx.execute("UPDATE chat_messages SET is_deleted = 1, deleted_at = ?, deleted_by = ? WHERE id = ?",
                           [.integer(now), .text(user.userId), .integer(messageId)])
            return Deleted(id: messageId, roomId: roomId)
        }
    }

    struct SenderSummary: Sendable {
        let senderId: String
        let lastMessage: String
        let lastMessageTime: Int64
        let lastRoomId: String
        let messageCount: Int
    }

    /// Per sender: the last message, its time and room, and the count; newest first.
    func senders(limit: Int) async throws(StorageError) -> [SenderSummary] {
        let rows = try await database.query(
            """
            SELECT m.sender_id, m.message, m.created_at, m.room_id, s.n FROM chat_messages m
            JOIN (SELECT sender_id, MAX(id) AS last_id, COUNT(*) AS n FROM chat_messages WHERE is_deleted = 0
                  GROUP BY sender_id) s ON m.id = s.last_id
            ORDER BY m.id DESC LIMIT ?
            """, [.integer(Int64(limit))])
        return rows.map {
            SenderSummary(senderId: $0["sender_id"].stringValue ?? "", lastMessage: $0["message"].stringValue ?? "",
                          lastMessageTime: $0["created_at"].int64Value ?? 0, lastRoomId: $0["room_id"].stringValue ?? "",
                          messageCount: $0["n"].intValue ?? 0)
        }
    }

    struct RoomSummary: Sendable {
        let id: String
        let name: String?
        let unread: Int
    }

    /// The rooms `userId` is a member of, and their support room, with the messages of others they have not read.
    func rooms(of userId: String) async throws(StorageError) -> [RoomSummary] {
        let unread = """
            (SELECT COUNT(*) FROM chat_messages m WHERE m.room_id = r.id AND m.is_deleted = 0 AND m.sender_id <> ?
             AND m.id > COALESCE((SELECT c.last_read_id FROM chat_reads c WHERE c.room_id = r.id AND c.user_id = ?), 0))
            """
        let support = Self.supportPrefixed(userId)
        let rows = try await database.query(
            """
            SELECT r.id, r.name, \(unread) AS unread FROM chat_members mb JOIN chat_rooms r ON r.id = mb.room_id
            WHERE mb.user_id = ?
            UNION ALL
            SELECT r.id, NULL AS name, \(unread) AS unread FROM (SELECT CAST(? AS TEXT) AS id) r
            ORDER BY id
            """, [.text(userId), .text(userId), .text(userId), .text(userId), .text(userId), .text(support)])
        return rows.map { RoomSummary(id: $0["id"].stringValue ?? "", name: $0["name"].stringValue, unread: $0["unread"].intValue ?? 0) }
    }

    private static func supportPrefixed(_ userId: String) -> String { ChatRoomID.supportPrefix + userId }

    // MARK: Membership (internal routes)

    struct Room: Sendable {
        let id: String
        let name: String?
        let members: [String]
        let createdAt: Int64
    }

    /// Creates a room with its members; a room id already taken is a 409.
    func createRoom(_ room: ChatRoomID, name: String?, members: [String], createdBy: String, at now: Int64) async throws -> Room {
        do {
            try await database.transaction { tx in
                try tx.execute("INSERT INTO chat_rooms (id, name, created_by, created_at) VALUES (?, ?, ?, ?)",
                               [.text(room.value), SQLValue(name), .text(createdBy), .integer(now)])
                for member in members {
                    try tx.execute("INSERT INTO chat_members (room_id, user_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                   [.text(room.value), .text(member), .integer(now)])
                }
            }
        } catch let error as StorageError where error.kind == .constraint {
            throw ModuleError("chat room \(room) already exists", status: 409, code: "room_exists")
        }
        return Room(id: room.value, name: name, members: members.sorted(), createdAt: now)
    }

    func room(_ room: ChatRoomID) async throws -> Room {
        let rows = try await database.query(
            """
            SELECT r.id, r.name, r.created_at, m.user_id FROM chat_rooms r LEFT JOIN chat_members m ON m.room_id = r.id
            WHERE r.id = ? ORDER BY m.user_id
            """, [.text(room.value)])
        guard let first = rows.first else { throw ModuleError.notFound("chat room \(room) does not exist") }
        return Room(id: room.value, name: first["name"].stringValue, members: rows.compactMap { $0["user_id"].stringValue },
                    createdAt: first["created_at"].int64Value ?? 0)
    }

    /// True when the user was not a member before.
    func addMember(_ userId: String, to room: ChatRoomID, at now: Int64) async throws -> Bool {
        try await database.transaction { tx in
            guard try !tx.query("SELECT id FROM chat_rooms WHERE id = ?", [.text(room.value)]).isEmpty else {
                throw ModuleError.notFound("chat room \(room) does not exist")
            }
            return try tx.execute("INSERT INTO chat_members (room_id, user_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                  [.text(room.value), .text(userId), .integer(now)]).changes == 1
        }
    }

    /// True when the user was a member.
    func removeMember(_ userId: String, from room: ChatRoomID) async throws -> Bool {
        try await database.transaction { tx in
            guard try !tx.query("SELECT id FROM chat_rooms WHERE id = ?", [.text(room.value)]).isEmpty else {
                throw ModuleError.notFound("chat room \(room) does not exist")
            }
            return try tx.execute("DELETE FROM chat_members WHERE room_id = ? AND user_id = ?",
                                  [.text(room.value), .text(userId)]).changes == 1
        }
    }
}
