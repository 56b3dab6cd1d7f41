import GatewayProtocol
import Synchronization

/// Sockets per user across all loops. The first socket of a user makes them online, the last one leaving offline; the
/// answers tell the caller which transition happened so it can announce it exactly once.
final class PresenceRegistry: Presence {
    private let counts = Mutex<[String: Int]>([:])

    /// True when this is the user's first socket.
    func socketConnected(userId: String) -> Bool {
        counts.withLock { counts in
            let n = (counts[userId] ?? 0) + 1
            counts[userId] = n
            return n == 1
        }
    }

    /// True when this was the user's last socket.
    func socketDisconnected(userId: String) -> Bool {
        counts.withLock { counts in
            guard let n = counts[userId] else { return false }
            if n <= 1 {
                counts.removeValue(forKey: userId)
                return true
            }
            counts[userId] = n - 1
            return false
        }
    }

    func isOnline(_ userId: String) -> Bool { counts.withLock { $0[userId] != nil } }
    func online(among userIds: [String]) -> Set<String> { counts.withLock { counts in Set(userIds.filter { counts[$0] != nil }) } }
    func socketCount(of userId: String) -> Int { counts.withLock { $0[userId] ?? 0 } }
    var onlineUserCount: Int { counts.withLock { $0.count } }
}

/// The room every socket of a user joins, so that "emit to a user" is a room broadcast: one code path, and it reaches
/// other nodes through a cross-node adapter like any room.
enum UserRooms {
    static func room(for userId: String) -> String { "#user:" + userId }
}
