import GatewayProtocol

/// Where the Chat module keeps its messages, as the clean-up needs to know it (`chatArchive` in the configuration;
/// the defaults are the Chat module's table). Names are checked to be plain SQL identifiers: they are put into SQL text.
struct ChatSource: Sendable, Equatable {
    let table: String
    let idColumn: String
    let roomColumn: String
    let timeColumn: String

    static func read(_ reader: ConfigurationReader) throws(ModuleError) -> ChatSource {
        func identifier(_ name: String, _ fallback: String) throws(ModuleError) -> String {
            let text = try reader.string(name, default: fallback)
            let valid = text.utf8.first.map { $0 == UInt8(ascii: "_") || ($0 >= 97 && $0 <= 122) } == true
                && text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) }
            guard valid, text.utf8.count <= 63 else {
                throw ModuleError("\(reader.key(name)): \"\(text)\" is not a lowercase SQL identifier")
            }
            return text
        }
        return ChatSource(table: try identifier("table", "chat_messages"), idColumn: try identifier("idColumn", "id"),
                          roomColumn: try identifier("roomColumn", "room_id"),
                          timeColumn: try identifier("timeColumn", "created_at"))
    }
}

/// Old chat messages moved whole into `reminders_chat_archive`, and the admins' view of it.
struct ChatArchive: Sendable {
    let database: any Database
    let source: ChatSource

    func sourceExists() async throws -> Bool {
        try await TableProbe(database: database).exists(source.table, columns: [source.idColumn, source.roomColumn, source.timeColumn])
    }

    /// Moves the messages older than `cutoffMs`, `batchSize` per transaction (copy and delete commit together, so a
    /// message is never in both places or in neither); returns how many moved.
    func archive(olderThanMs cutoffMs: Int64, nowMs: Int64, batchSize: Int) async throws -> Int {
        let source = self.source
        var moved = 0
        while true {
            let count = try await database.transaction { sql -> Int in
                let rows = try sql.query(
                    "SELECT * FROM \(source.table) WHERE \(source.timeColumn) < ? ORDER BY \(source.timeColumn), \(source.idColumn) LIMIT ?",
                    [.integer(cutoffMs), .integer(Int64(batchSize))])
                for row in rows {
                    let id = Self.text(row[source.idColumn])
                    var bytes: [UInt8] = []
                    Self.json(row).serialize(into: &bytes)
                    try sql.execute(
                        """
                        INSERT INTO reminders_chat_archive (room_id, source_id, created_at, archived_at, message) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (source_id) DO NOTHING
                        """,
                        [.text(Self.text(row[source.roomColumn])), .text(id), .integer(row[source.timeColumn].int64Value ?? 0),
                         .integer(nowMs), .text(String(decoding: bytes, as: UTF8.self))])
                    try sql.execute("DELETE FROM \(source.table) WHERE \(source.idColumn) = ?", [row[source.idColumn]])
                }
                return rows.count
            }
            moved += count
            guard count == batchSize else { return moved }
        }
    }

    struct Page: Encodable, Sendable {
        let messages: [JSONValue]
        let totalCount: Int
        let page: Int
        let limit: Int
    }

    /// Newest first; each message is the original row with `archivedAt` added.
    func page(roomId: String?, page: Int, limit: Int) async throws -> Page {
        let filter = roomId == nil ? "" : "WHERE room_id = ?"
        let parameters: [SQLValue] = roomId.map { [.text($0)] } ?? []
        let total = try await database.query("SELECT COUNT(*) AS n FROM reminders_chat_archive \(filter)", parameters)
            .first?["n"].intValue ?? 0
        let rows = try await database.query(
            "SELECT message, archived_at FROM reminders_chat_archive \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            parameters + [.integer(Int64(limit)), .integer(Int64((page - 1) * limit))])
        let messages = rows.map { row -> JSONValue in
            var message = (try? JSONValue.parse(row["message"].stringValue ?? "null"))?.objectValue ?? [:]
            message["archivedAt"] = .int(row["archived_at"].intValue ?? 0)
            return .object(message)
        }
        return Page(messages: messages, totalCount: total, page: page, limit: limit)
    }

    static func text(_ value: SQLValue) -> String {
        switch value {
        case .text(let text): return text
        case .integer(let number): return "\(number)"
        case .real(let number): return "\(number)"
        case .null, .blob: return ""
        }
    }

    /// A row as a JSON object keyed by column; blobs (no chat column holds one) become null rather than guessed text.
    static func json(_ row: SQLRow) -> JSONValue {
        var object = JSONObject(minimumCapacity: row.columns.count)
        for (column, value) in zip(row.columns, row.values) {
            switch value {
            case .integer(let number): object[column] = .int(Int(number))
            case .real(let number): object[column] = .double(number)
            case .text(let text): object[column] = .string(text)
            case .null, .blob: object[column] = .null
            }
        }
        return .object(object)
    }
}
