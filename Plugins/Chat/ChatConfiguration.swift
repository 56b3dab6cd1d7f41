import GatewayProtocol

/// The module's section `modules.chat`. Every limit has a default; a value of the wrong type or out of range stops the
/// start-up with the key that is wrong.
struct ChatConfiguration: Sendable {
    /// Characters (as a person counts them) in one message.
    let maxMessageLength: Int
    /// Bytes of a message's `metadata` object written as JSON.
    let maxMetadataBytes: Int
    /// Sustained messages per second per user, and how many may come at once after a pause.
    let messagesPerSecond: Int
    let burst: Int
    /// Messages in `chatHistory` on `joinChat`.
    let historyLimit: Int
    /// `GET /chat/rooms/:id/messages` page size when `limit` is absent, and the largest `limit` accepted.
    let defaultPageSize: Int
    let maxPageSize: Int
    /// Senders listed in `allChatUsers` / `GET /chat/users` (newest first).
    let allChatUsersLimit: Int
    /// The offline `chat_message` notification: its title, and how many characters of the text it quotes.
    let notificationTitle: String
    let notificationPreviewLength: Int

    init(_ section: JSONObject) throws(ModuleError) {
        let reader = ConfigSection(section)
        maxMessageLength = try reader.int("maxMessageLength", default: 2000, min: 1)
        maxMetadataBytes = try reader.int("maxMetadataBytes", default: 4096, min: 2)
        let rate = try reader.section("rateLimit")
        messagesPerSecond = try rate.int("messagesPerSecond", default: 5, min: 1)
        burst = try rate.int("burst", default: 10, min: 1)
        historyLimit = try reader.int("historyLimit", default: 50, min: 1)
        maxPageSize = try reader.int("maxPageSize", default: 100, min: 1)
        defaultPageSize = try reader.int("defaultPageSize", default: min(20, maxPageSize), min: 1)
        guard defaultPageSize <= maxPageSize else {
            throw ModuleError("defaultPageSize: must be at most maxPageSize (\(maxPageSize))")
        }
        allChatUsersLimit = try reader.int("allChatUsersLimit", default: 500, min: 1)
        notificationTitle = try reader.string("notificationTitle") ?? "새 메시지"
        notificationPreviewLength = try reader.int("notificationPreviewLength", default: 100, min: 1)
    }
}
