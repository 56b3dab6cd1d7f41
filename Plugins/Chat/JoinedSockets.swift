import Synchronization

/// Which sockets of which users joined which chat rooms on this node: `typing` is relayed only from a socket that joined
/// (no storage read per keystroke), and a member removed from a room has their sockets taken out of it at once.
final class JoinedSockets: Sendable {
    private struct State {
        /// room → socket → user
        var rooms: [ChatRoomID: [String: String]] = [:]
        /// socket → rooms, to forget a socket when it disconnects
        var sockets: [String: Set<ChatRoomID>] = [:]
    }

    private let state = Mutex(State())

    func joined(socket: String, user: String, room: ChatRoomID) {
        state.withLock {
            $0.rooms[room, default: [:]][socket] = user
            $0.sockets[socket, default: []].insert(room)
        }
    }

    func contains(socket: String, room: ChatRoomID) -> Bool {
        state.withLock { $0.rooms[room]?[socket] != nil }
    }

    /// Forgets `user`'s sockets in `room`; returns them.
    func remove(user: String, from room: ChatRoomID) -> [String] {
        state.withLock { state in
            guard let sockets = state.rooms[room] else { return [] }
            let leaving = sockets.filter { $0.value == user }.map(\.key)
            for socket in leaving {
                state.rooms[room]?[socket] = nil
                state.sockets[socket]?.remove(room)
            }
            if state.rooms[room]?.isEmpty == true { state.rooms[room] = nil }
            return leaving
        }
    }

    func disconnected(socket: String) {
        state.withLock { state in
            for room in state.sockets.removeValue(forKey: socket) ?? [] {
                state.rooms[room]?[socket] = nil
                if state.rooms[room]?.isEmpty == true { state.rooms[room] = nil }
            }
        }
    }
}
