import GatewayProtocol

/// One stored message, and its wire shape: the old server's saved Mongo document (`_id`, `chatRoomId`, `senderId`,
/// `message`, `messageType`, `timestamp`, `readBy`, `isDeleted`, `replyTo`, `metadata`, `createdAt`, `updatedAt`) plus
/// `id` and `sender` (name, email and picture from the users directory, as the old history populated them).
struct ChatMessage: Sendable {
    static let types: Set<String> = ["text", "image", "file", "system"]
    static let columns = "id, room_id, sender_id, message, message_type, reply_to, metadata, created_at"

    let id: Int64
    let roomId: String
    let senderId: String
    let message: String
    let messageType: String
    let replyTo: Int64?
    let metadata: JSONValue?
    let createdAt: Int64

    init(id: Int64, roomId: String, senderId: String, message: String, messageType: String, replyTo: Int64?,
         metadata: JSONValue?, createdAt: Int64) {
        self.id = id
        self.roomId = roomId
        self.senderId = senderId
        self.message = message
        self.messageType = messageType
        self.replyTo = replyTo
        self.metadata = metadata
        self.createdAt = createdAt
    }

    /// A row selected with `columns`.
    init(row: SQLRow) {
        id = row["id"].int64Value ?? 0
        roomId = row["room_id"].stringValue ?? ""
        senderId = row["sender_id"].stringValue ?? ""
        message = row["message"].stringValue ?? ""
        messageType = row["message_type"].stringValue ?? "text"
        replyTo = row["reply_to"].int64Value
        metadata = row["metadata"].stringValue.flatMap { try? JSONValue.parse(bytes: Array($0.utf8)) }
        createdAt = row["created_at"].int64Value ?? 0
    }

    /// `readers` are the room's read cursors (user → last message id read).
    func wire(sender: UserRecord?, readers: [String: Int64]) -> JSONValue {
        let id = JSONValue.string(String(self.id))
        let time = JSONValue.string(Timestamps.iso8601(ms: createdAt))
        var object = JSONObject(minimumCapacity: 14)
        object["_id"] = id
        object["id"] = id
        object["chatRoomId"] = .string(roomId)
        object["senderId"] = .string(senderId)
        object["sender"] = Self.profile(senderId, sender)
        object["message"] = .string(message)
        object["messageType"] = .string(messageType)
        object["timestamp"] = time
        let readBy = readers.filter { $0.key != senderId && $0.value >= self.id }.keys.sorted()
        object["readBy"] = .array(readBy.map { .string($0) })
        object["isDeleted"] = .bool(false)
        if let replyTo { object["replyTo"] = .string(String(replyTo)) }
        if let metadata { object["metadata"] = metadata }
        object["createdAt"] = time
        object["updatedAt"] = time
        return .object(object)
    }

    /// `{_id, name, email, picture}`; fields the directory does not know are left out.
    static func profile(_ userId: String, _ record: UserRecord?) -> JSONValue {
        var object: JSONObject = ["_id": .string(userId)]
        if let name = record?.name { object["name"] = .string(name) }
        if let email = record?.email { object["email"] = .string(email) }
        if let picture = record?.picture { object["picture"] = .string(picture) }
        return .object(object)
    }
}
