import GatewayProtocol

/// REST for clients (`/chat/…`, any valid token; access per room as on the sockets) and for the main backend and admins
/// (`/internal/chat/…`: rooms and their members).
struct ChatRoutes: Sendable {
    let chat: ChatService

    func install(on setup: any ModuleSetup) {
        let chat = self.chat
        let setup = RefusalLogging(setup: setup, chat: chat)
        setup.route("GET", "/chat/rooms/:id/messages", access: .authenticated) { request in
            let room = try ChatRoomID(request.parameters["id"] ?? "")
            let limit = try Self.integer(request, "limit", default: chat.configuration.defaultPageSize,
                                         range: 1...chat.configuration.maxPageSize)
            let page = try Self.integer(request, "page", default: 1, range: 1...1_000_000)
            let before = try request.query["before"].map { (text: String) throws(ModuleError) -> Int64 in
                try PayloadFields.messageId(.string(text), field: "before")
            }
            let result = try await chat.messages(room, user: request.identity, limit: limit, offset: (page - 1) * limit,
                                                 before: before)
            return try .json(["messages": .array(result.messages), "totalCount": .int(result.totalCount)] as JSONObject)
        }
        setup.route("DELETE", "/chat/messages/:id", access: .authenticated) { request in
            let id = try PayloadFields.messageId(.string(request.parameters["id"] ?? ""), field: "id")
            let deleted = try await chat.delete(messageId: id, by: request.identity)
            return try .json(["success": true, "messageId": .string(String(deleted.id)),
                              "chatRoomId": .string(deleted.roomId)] as JSONObject)
        }
        setup.route("GET", "/chat/rooms", access: .authenticated) { request in
            let rooms = try await chat.store.rooms(of: request.identity.userId)
            return try .json(["rooms": .array(rooms.map { room in
                var object: JSONObject = ["chatRoomId": .string(room.id),
                                          "type": .string(room.id.hasPrefix(ChatRoomID.supportPrefix) ? "support" : "group")]
                if let name = room.name { object["name"] = .string(name) }
                object["unreadCount"] = .int(room.unread)
                return .object(object)
            })] as JSONObject)
        }
        setup.route("GET", "/chat/users", access: .admin) { _ in try .json(try await chat.allChatUsers()) }
        installInternal(on: setup)
    }

    private func installInternal(on setup: RefusalLogging) {
        let chat = self.chat
        setup.route("POST", "/internal/chat/rooms", access: .adminOrService) { request in
            let fields = try PayloadFields(try request.json())
            let id = try fields.string("chatRoomId") ?? "room-" + Self.hex(chat.context.crypto.randomBytes(8))
            let room = try ChatRoomID(id)
            guard room.supportOwner == nil else {
                throw ModuleError("chatRoomId: support:<userId> rooms exist without being created", code: "invalid_room")
            }
            let members = try Self.members(fields)
            let created = try await chat.store.createRoom(room, name: try fields.string("name"), members: members,
                                                          createdBy: request.identity.userId, at: chat.context.clock.nowMs())
            chat.context.log.info("chat_room_created", ["room": room.value, "members": String(members.count),
                                                        "by": request.identity.userId])
            return try .json(Self.wire(created), status: 201)
        }
        setup.route("GET", "/internal/chat/rooms/:id", access: .adminOrService) { request in
            try .json(Self.wire(try await chat.store.room(try ChatRoomID(request.parameters["id"] ?? ""))))
        }
        setup.route("PUT", "/internal/chat/rooms/:id/members/:userId", access: .adminOrService) { request in
            let room = try ChatRoomID(request.parameters["id"] ?? "")
            let user = request.parameters["userId"] ?? ""
            let added = try await chat.store.addMember(user, to: room, at: chat.context.clock.nowMs())
            return try .json(["chatRoomId": .string(room.value), "userId": .string(user), "added": .bool(added)] as JSONObject)
        }
        setup.route("DELETE", "/internal/chat/rooms/:id/members/:userId", access: .adminOrService) { request in
            let room = try ChatRoomID(request.parameters["id"] ?? "")
            let user = request.parameters["userId"] ?? ""
            let removed = try await chat.store.removeMember(user, from: room)
            // The removed member's sockets stop receiving the room at once (on this node).
            for socket in chat.joined.remove(user: user, from: room) {
                chat.context.messaging.leave(socket: socket, room: room.socketRoom)
            }
            return try .json(["chatRoomId": .string(room.value), "userId": .string(user), "removed": .bool(removed)] as JSONObject)
        }
    }

    /// Routes whose refusals are logged like the events' (the issue asks that every refusal is).
    struct RefusalLogging {
        let setup: any ModuleSetup
        let chat: ChatService

        func route(_ method: String, _ path: String, access: RouteAccess, _ handler: @escaping RouteHandler) {
            let chat = self.chat
            setup.route(method, path, access: access) { request in
                do { return try await handler(request) } catch let error as ModuleError {
                    throw chat.refused(error, event: "\(method) \(request.path)", user: request.identity)
                }
            }
        }
    }

    private static func members(_ fields: PayloadFields) throws(ModuleError) -> [String] {
        guard let value = fields.object["members"], !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw ModuleError("members: expected an array of user ids", code: "invalid_payload") }
        var members: [String] = []
        for item in items {
            guard let id = item.stringValue, !id.isEmpty else {
                throw ModuleError("members: expected an array of user ids, got \(item)", code: "invalid_payload")
            }
            members.append(id)
        }
        return Array(Set(members))
    }

    private static func wire(_ room: ChatStore.Room) -> JSONObject {
        var object: JSONObject = ["chatRoomId": .string(room.id)]
        if let name = room.name { object["name"] = .string(name) }
        object["members"] = .array(room.members.map { .string($0) })
        object["createdAt"] = .string(Timestamps.iso8601(ms: room.createdAt))
        return object
    }

    private static func integer(_ request: RouteRequest, _ name: String, default fallback: Int,
                                range: ClosedRange<Int>) throws(ModuleError) -> Int {
        guard let text = request.query[name], !text.isEmpty else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ModuleError("\(name): must be an integer from \(range.lowerBound) to \(range.upperBound), got \(text)",
                              code: "invalid_query")
        }
        return value
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
