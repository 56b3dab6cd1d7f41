import GatewayProtocol

/// The socket events, with the names and payloads of FitMate's old server. Every refusal is logged and answered with the
/// runtime's error ack or `error` event.
struct ChatEvents: Sendable {
    let chat: ChatService

    func install(on setup: any ModuleSetup) {
        on("joinChat", setup, joinChat)
        setup.on("sendMessage") { event in try await sendMessage(event) }
        on("joinAsAdmin", setup, joinAsAdmin)
        on("markAsRead", setup, markAsRead)
        on("typing", setup, typing)
        on("deleteMessage", setup, deleteMessage)
        let joined = chat.joined
        setup.onDisconnect { socket, _ in joined.disconnected(socket: socket.id) }
    }

    private func on(_ name: String, _ setup: any ModuleSetup, _ handler: @escaping @Sendable (EventContext) async throws -> EventArguments) {
        let chat = self.chat
        setup.on(name) { event in
            do { return try await handler(event) } catch let error as ModuleError {
                throw chat.refused(error, event: name, user: event.user)
            }
        }
    }

    private var messaging: any Messaging { chat.context.messaging }

    /// Joins the room's sockets, then sends the history (so nothing sent in between is missed), then tells the others.
    private func joinChat(_ event: EventContext) async throws -> EventArguments {
        let room = try PayloadFields(event.arguments.first).room()
        _ = try await chat.store.access(room, user: event.user)
        messaging.join(socket: event.socket.id, room: room.socketRoom)
        chat.joined.joined(socket: event.socket.id, user: event.user.userId, room: room)
        let history = try await chat.messages(room, user: event.user, limit: chat.configuration.historyLimit, offset: 0,
                                              before: nil)
        messaging.emit("chatHistory", [.array(history.messages)], to: .socket(event.socket.id))
        messaging.emit("userJoined", [["userId": .string(event.user.userId), "chatRoomId": .string(room.value)]],
                       to: .room(room.socketRoom), namespace: "/", except: [event.socket.id])
        return [["success": true, "chatRoomId": .string(room.value)]]
    }

    /// A failure is both the `error` event (what the old client listens to) and, when one was asked for, the error ack.
    private func sendMessage(_ event: EventContext) async throws -> EventArguments {
        do {
            return [try await chat.send(event.arguments.first, from: event.user)]
        } catch {
            let refusal: ModuleError
            if let error = error as? ModuleError {
                refusal = error
            } else {
                chat.context.log.error("chat_send_failed", ["user": event.user.userId, "error": "\(error)"])
                refusal = ModuleError("the message could not be sent; try again", status: 500, code: "send_failed")
            }
            if event.wantsAck {
                messaging.emit("error", [["message": .string(refusal.message), "code": .string(refusal.code ?? "error"),
                                          "event": "sendMessage"]], to: .socket(event.socket.id))
            }
            throw chat.refused(refusal, event: "sendMessage", user: event.user)
        }
    }

    private func joinAsAdmin(_ event: EventContext) async throws -> EventArguments {
        guard event.user.isAdmin else { throw ModuleError.forbidden("joinAsAdmin needs the admin role") }
        messaging.join(socket: event.socket.id, room: ChatService.adminRoom)
        messaging.emit("allChatUsers", [try await chat.allChatUsers()], to: .socket(event.socket.id))
        return [["success": true]]
    }

    private func markAsRead(_ event: EventContext) async throws -> EventArguments {
        let room = try PayloadFields(event.arguments.first).room()
        let last = try await chat.store.markRead(room, user: event.user, at: chat.context.clock.nowMs())
        messaging.emit("messagesRead", [["chatRoomId": .string(room.value), "userId": .string(event.user.userId)]],
                       to: .room(room.socketRoom))
        var ack: JSONObject = ["chatRoomId": .string(room.value), "userId": .string(event.user.userId)]
        if let last { ack["lastReadMessageId"] = .string(String(last)) }
        return [.object(ack)]
    }

    /// Relayed to the others in the room, never stored; only from a socket that joined the room (no storage read).
    private func typing(_ event: EventContext) async throws -> EventArguments {
        let fields = try PayloadFields(event.arguments.first)
        let room = try fields.room()
        guard chat.joined.contains(socket: event.socket.id, room: room) else {
            throw ModuleError.forbidden("join chat room \(room) (joinChat) before sending typing to it")
        }
        let isTyping = fields.object["isTyping"]?.boolValue ?? true
        messaging.emit("typing", [["chatRoomId": .string(room.value), "userId": .string(event.user.userId),
                                   "isTyping": .bool(isTyping)]],
                       to: .room(room.socketRoom), namespace: "/", except: [event.socket.id])
        return []
    }

    private func deleteMessage(_ event: EventContext) async throws -> EventArguments {
        guard let id = try PayloadFields(event.arguments.first).messageId("messageId") else {
            throw ModuleError("messageId is required", code: "invalid_payload")
        }
        let deleted = try await chat.delete(messageId: id, by: event.user)
        return [["success": true, "messageId": .string(String(deleted.id)), "chatRoomId": .string(deleted.roomId)]]
    }
}
