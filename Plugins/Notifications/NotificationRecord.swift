import GatewayProtocol

/// A stored notification, and its wire shape: what the old server sent (the saved document, `_id` included, absent
/// optional fields left out) plus `id`, so the React client's `newNotification` handler and list code work unchanged.
struct NotificationRecord: Sendable, Equatable {
    let id: Int64
    let userId: String
    let type: String
    let priority: String
    let title: String
    let message: String
    let data: JSONValue?
    let isRead: Bool
    let readAtMs: Int64?
    let createdAtMs: Int64
    let expiresAtMs: Int64?

    static let columns = "id, user_id, type, priority, title, message, data, is_read, read_at, created_at, expires_at"

    init(id: Int64, userId: String, type: String, priority: String, title: String, message: String, data: JSONValue?,
         isRead: Bool, readAtMs: Int64?, createdAtMs: Int64, expiresAtMs: Int64?) {
        self.id = id
        self.userId = userId
        self.type = type
        self.priority = priority
        self.title = title
        self.message = message
        self.data = data
        self.isRead = isRead
        self.readAtMs = readAtMs
        self.createdAtMs = createdAtMs
        self.expiresAtMs = expiresAtMs
    }

    init(row: SQLRow) {
        self.init(id: row["id"].int64Value ?? 0, userId: row["user_id"].stringValue ?? "", type: row["type"].stringValue ?? "",
                  priority: row["priority"].stringValue ?? "normal", title: row["title"].stringValue ?? "",
                  message: row["message"].stringValue ?? "",
                  data: row["data"].stringValue.flatMap { try? JSONValue.parse(bytes: Array($0.utf8)) },
                  isRead: row["is_read"].boolValue ?? false, readAtMs: row["read_at"].int64Value,
                  createdAtMs: row["created_at"].int64Value ?? 0, expiresAtMs: row["expires_at"].int64Value)
    }

    var json: JSONValue {
        var object: JSONObject = ["_id": .string(String(id)), "id": .string(String(id)), "userId": .string(userId),
                                  "title": .string(title), "message": .string(message), "type": .string(type)]
        if let data { object["data"] = data }
        object["isRead"] = .bool(isRead)
        if let readAtMs { object["readAt"] = .string(Timestamps.iso8601(ms: readAtMs)) }
        object["createdAt"] = .string(Timestamps.iso8601(ms: createdAtMs))
        if let expiresAtMs { object["expiresAt"] = .string(Timestamps.iso8601(ms: expiresAtMs)) }
        object["priority"] = .string(priority)
        return .object(object)
    }
}

extension JSONValue {
    var serializedText: String {
        var bytes: [UInt8] = []
        serialize(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
