import GatewayProtocol

/// A chat room's id as clients send it. `support:<userId>` rooms (the user and the admins) exist without set-up; every
/// other room is created by the main backend or an admin and has explicit members.
struct ChatRoomID: Sendable, Hashable, CustomStringConvertible {
    static let maxLength = 128
    static let supportPrefix = "support:"

    let value: String

    init(_ value: String) throws(ModuleError) {
        guard !value.isEmpty, value.count <= Self.maxLength else {
            throw ModuleError("chatRoomId: must be 1 to \(Self.maxLength) characters", code: "invalid_room")
        }
        guard value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw ModuleError("chatRoomId: must not contain spaces or control characters", code: "invalid_room")
        }
        if value.hasPrefix(Self.supportPrefix), value.count == Self.supportPrefix.count {
            throw ModuleError("chatRoomId: a support room is support:<userId>", code: "invalid_room")
        }
        self.value = value
    }

    /// The user a `support:` room belongs to; nil for managed rooms.
    var supportOwner: String? {
        value.hasPrefix(Self.supportPrefix) ? String(value.dropFirst(Self.supportPrefix.count)) : nil
    }

    /// The Socket.IO room its sockets join; prefixed so that no room id can clash with `admin-room` or another module's.
    var socketRoom: String { "chat:" + value }

    var description: String { value }
}

/// Who may use a room: its members (the owner, for a support room) and admins.
struct RoomAccess: Sendable {
    /// Members to notify when offline (a support room's admins are not listed: nobody knows who they are).
    let members: [String]

    static func check(_ room: ChatRoomID, user: Identity, members: [String]?) throws(ModuleError) -> RoomAccess {
        if let owner = room.supportOwner {
            guard user.userId == owner || user.isAdmin else { throw forbidden(room) }
            return RoomAccess(members: [owner])
        }
        guard let members else {
            // A missing room and a room one may not see answer the same to non-admins: ids are not probed.
            if user.isAdmin { throw ModuleError.notFound("chat room \(room) does not exist") }
            throw forbidden(room)
        }
        guard user.isAdmin || members.contains(user.userId) else { throw forbidden(room) }
        return RoomAccess(members: members)
    }

    static func forbidden(_ room: ChatRoomID) -> ModuleError {
        ModuleError.forbidden("you are not a member of chat room \(room)")
    }
}
