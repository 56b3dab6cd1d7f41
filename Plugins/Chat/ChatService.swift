import GatewayProtocol

/// What the chat does, shared by the socket events and the REST routes.
struct ChatService: Sendable {
    static let adminRoom = "admin-room"

    let configuration: ChatConfiguration
    let store: ChatStore
    let context: any ModuleContext
    let limiter: RateLimiter
    let joined: JoinedSockets
    let sent: any CounterMetric
    let notified: any CounterMetric

    init(configuration: ChatConfiguration, context: any ModuleContext) {
        self.configuration = configuration
        self.context = context
        store = ChatStore(database: context.database)
        limiter = RateLimiter(perSecond: configuration.messagesPerSecond, burst: configuration.burst)
        joined = JoinedSockets()
        sent = context.metrics.counter("messages_total", help: "Chat messages saved and delivered.")
        notified = context.metrics.counter("offline_notifications_total",
                                           help: "chat_message notifications created for offline members.")
    }

    // MARK: Messages

    /// Checks a `sendMessage` payload against the configured limits.
    func draft(_ fields: PayloadFields, from user: Identity) throws(ModuleError) -> ChatStore.Draft {
        let room = try fields.room()
        let text = try fields.requiredString("message")
        guard !text.isEmpty else { throw ModuleError("message: must not be empty", code: "invalid_payload") }
        let length = text.count
        guard length <= configuration.maxMessageLength else {
            throw ModuleError("message: \(length) characters is over the limit of \(configuration.maxMessageLength)",
                              status: 413, code: "message_too_long")
        }
        let type = try fields.string("messageType") ?? "text"
        guard ChatMessage.types.contains(type) else {
            throw ModuleError("messageType: must be one of file, image, system, text; got \(type)", code: "invalid_payload")
        }
        guard type != "system" || user.isAdmin || user.isService else {
            throw ModuleError.forbidden("messageType system is for admins only")
        }
        var metadata: JSONValue? = nil
        var metadataText: String? = nil
        if let value = fields.object["metadata"], !value.isNull {
            guard value.objectValue != nil else {
                throw ModuleError("metadata: expected an object, got \(value)", code: "invalid_payload")
            }
            let text = value.description
            guard text.utf8.count <= configuration.maxMetadataBytes else {
                throw ModuleError("metadata: \(text.utf8.count) bytes of JSON is over the limit of \(configuration.maxMetadataBytes)",
                                  status: 413, code: "metadata_too_large")
            }
            metadata = value
            metadataText = text
        }
        return ChatStore.Draft(room: room, message: text, messageType: type, replyTo: try fields.messageId("replyTo"),
                               metadata: metadata, metadataText: metadataText)
    }

    /// Saves, delivers `newMessage` to the room, and notifies offline members. Returns the wire message.
    func send(_ payload: JSONValue?, from user: Identity) async throws -> JSONValue {
        let now = context.clock.nowMs()
        guard limiter.allow(user.userId, nowMs: now) else {
            throw ModuleError.rateLimited(
                "too many messages: at most \(configuration.messagesPerSecond) per second (bursts of \(configuration.burst))")
        }
        let draft = try draft(PayloadFields(payload), from: user)
        let users = context.users
        async let senderRecord = users.user(user.userId)
        let saved = try await store.save(draft, from: user, at: now)
        let sender = try? await senderRecord
        let wire = saved.message.wire(sender: sender, readers: [:])
        context.messaging.emit("newMessage", [wire], to: .room(draft.room.socketRoom))
        sent.increment()
        notifyOffline(saved, senderName: sender?.name)
        return wire
    }

    /// A `chat_message` notification for each member other than the sender who has no socket connected, when the
    /// Notifications module runs. Done after the answer (the sender does not wait for it); failures are logged.
    private func notifyOffline(_ saved: ChatStore.Saved, senderName: String?) {
        let message = saved.message
        let recipients = saved.access.members.filter { $0 != message.senderId }
        guard !recipients.isEmpty, let notifications = context.service(WellKnownServices.notifications) else { return }
        let online = context.presence.online(among: recipients)
        let offline = recipients.filter { !online.contains($0) }
        guard !offline.isEmpty else { return }
        let preview = preview(of: message)
        let text = senderName.map { "\($0): \(preview)" } ?? preview
        let data: JSONValue = ["chatRoomId": .string(message.roomId), "messageId": .string(String(message.id)),
                               "senderId": .string(message.senderId)]
        let title = configuration.notificationTitle
        let log = context.log
        let notified = self.notified
        Task {
            for userId in offline {
                do {
                    _ = try await notifications.notify(NotificationRequest(userId: userId, title: title, message: text,
                                                                           type: "chat_message", data: data))
                    notified.increment()
                } catch {
                    log.warning("chat_notification_failed", ["user": userId, "room": message.roomId, "error": "\(error)"])
                }
            }
        }
    }

    private func preview(of message: ChatMessage) -> String {
        switch message.messageType {
        case "image": return "사진"
        case "file": return "파일"
        default:
            let limit = configuration.notificationPreviewLength
            return message.message.count <= limit ? message.message : String(message.message.prefix(limit)) + "…"
        }
    }

    /// Senders and their users-directory profiles, newest first (the old server's `getAllChatUsers` shape, plus flat
    /// `name`/`email`/`picture`, `userId` and the room of the last message).
    func allChatUsers() async throws -> JSONValue {
        let senders = try await store.senders(limit: configuration.allChatUsersLimit)
        let records = try await context.users.users(senders.map(\.senderId))
        return .array(senders.map { summary in
            let record = records[summary.senderId]
            var object: JSONObject = ["_id": .string(summary.senderId), "userId": .string(summary.senderId),
                                      "lastMessage": .string(summary.lastMessage),
                                      "lastMessageTime": .string(Timestamps.iso8601(ms: summary.lastMessageTime)),
                                      "messageCount": .int(summary.messageCount), "chatRoomId": .string(summary.lastRoomId)]
            if let name = record?.name { object["name"] = .string(name) }
            if let email = record?.email { object["email"] = .string(email) }
            if let picture = record?.picture { object["picture"] = .string(picture) }
            object["userInfo"] = ChatMessage.profile(summary.senderId, record)
            return .object(object)
        })
    }

    /// A page of a room's messages as the wire shows them.
    func messages(_ room: ChatRoomID, user: Identity, limit: Int, offset: Int, before: Int64?) async throws -> (messages: [JSONValue], totalCount: Int) {
        let page = try await store.page(room, user: user, limit: limit, offset: offset, before: before)
        let senders = try await context.users.users(Array(Set(page.messages.map(\.senderId))))
        return (page.messages.map { $0.wire(sender: senders[$0.senderId], readers: page.readers) }, page.totalCount)
    }

    func delete(messageId: Int64, by user: Identity) async throws -> ChatStore.Deleted {
        let deleted = try await store.delete(messageId: messageId, by: user, at: context.clock.nowMs())
        guard let room = try? ChatRoomID(deleted.roomId) else { return deleted }
        context.messaging.emit("messageDeleted", [["messageId": .string(String(deleted.id)), "chatRoomId": .string(deleted.roomId),
                                                    "deletedBy": .string(user.userId)]], to: .room(room.socketRoom))
        return deleted
    }

    /// Logs a refusal (the issue asks that every one is) and passes it on.
    func refused(_ error: ModuleError, event: String, user: Identity) -> ModuleError {
        context.log.info("chat_refused", ["event": event, "user": user.userId, "code": error.code ?? "error",
                                          "message": error.message])
        return error
    }
}
