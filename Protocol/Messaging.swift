// Reaching sockets (contract 0.3): emits to a socket, a user, a room or everyone, and room membership.

/// Who receives an emit. A user's audience is every socket of that user, on any event loop (and, with a cross-node adapter,
/// any node). Room names starting with `#` are reserved for the gateway.
public enum Audience: Sendable, Hashable {
    case socket(String)
    case user(String)
    case room(String)
    case everyone
}

/// Emits return at once: the bytes are encoded once and queued to each recipient's loop. A socket that is gone is skipped.
public protocol Messaging: Sendable {
    func emit(_ event: String, _ arguments: EventArguments, to audience: Audience, namespace: String, except: Set<String>)
    /// Sends `event` to one socket and waits for its acknowledgement; throws `ModuleError` (status 504) on timeout.
    func emitWithAck(_ event: String, _ arguments: EventArguments, socket: String, namespace: String,
                     timeoutMs: Int) async throws -> EventArguments
    func join(socket: String, room: String, namespace: String)
    func leave(socket: String, room: String, namespace: String)
    /// The ids of the sockets in `room` (on this node).
    func sockets(in room: String, namespace: String) async -> [String]
}

extension Messaging {
    /// Emits one `Encodable` payload: the common case (`emit("newMessage", json: saved, to: .room(id))`).
    public func emit(_ event: String, json payload: some Encodable & Sendable, to audience: Audience, namespace: String = "/",
                     except: Set<String> = []) throws(PayloadError) {
        let arguments = EventArguments([try JSONValueEncoder().encode(payload)])
        emit(event, arguments, to: audience, namespace: namespace, except: except)
    }
    public func emit(_ event: String, _ arguments: EventArguments, to audience: Audience) {
        emit(event, arguments, to: audience, namespace: "/", except: [])
    }
    public func join(socket: String, room: String) { join(socket: socket, room: room, namespace: "/") }
    public func leave(socket: String, room: String) { leave(socket: socket, room: room, namespace: "/") }
}

/// Who is connected. A user is online from their first socket's connect to their last socket's disconnect (several tabs
/// are one presence). On `/` the gateway itself emits `userOnline {userId, socketId}` and `userOffline {userId}` at those
/// two moments, as FitMate's client expects.
public protocol Presence: Sendable {
    func isOnline(_ userId: String) -> Bool
    /// The subset of `userIds` that is online.
    func online(among userIds: [String]) -> Set<String>
    func socketCount(of userId: String) -> Int
}
