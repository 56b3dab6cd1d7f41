import GatewayProtocol

/// The module's tables. Times are Unix ms; booleans 0/1. Read receipts are one cursor per reader and room (the last
/// message id read) rather than a row per message and reader: `readBy` of a message is every reader whose cursor reached
/// it, and marking a room read is one upsert however long its history.
enum ChatSchema {
    static let migrations = [
        Migration(version: 1, [
            """
            CREATE TABLE chat_rooms (id TEXT PRIMARY KEY, name TEXT, created_by TEXT, created_at INTEGER NOT NULL)
            """,
            """
            CREATE TABLE chat_members (room_id TEXT NOT NULL, user_id TEXT NOT NULL, added_at INTEGER NOT NULL,
                PRIMARY KEY (room_id, user_id))
            """,
            "CREATE INDEX chat_members_user ON chat_members (user_id)",
            """
            CREATE TABLE chat_messages (id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, sender_id TEXT NOT NULL,
                message TEXT NOT NULL, message_type TEXT NOT NULL, reply_to INTEGER, metadata TEXT,
                created_at INTEGER NOT NULL, is_deleted INTEGER NOT NULL DEFAULT 0, deleted_at INTEGER, deleted_by TEXT)
            """,
            "CREATE INDEX chat_messages_room ON chat_messages (room_id, id)",
            "CREATE INDEX chat_messages_sender ON chat_messages (sender_id, id)",
            """
            CREATE TABLE chat_reads (room_id TEXT NOT NULL, user_id TEXT NOT NULL, last_read_id INTEGER NOT NULL,
                read_at INTEGER NOT NULL, PRIMARY KEY (room_id, user_id))
            """,
        ]),
    ]
}
