import GatewayProtocol
import Synchronization

/// A change to a user's notifications, with the unread count it left and its place in commit order.
struct CountedChange<Value: Sendable>: Sendable {
    let value: Value
    let unreadCount: Int
    let stamp: Int64
}

/// Pushes `unreadNotificationCount` to every socket of a user after each change, never letting an older count arrive
/// after a newer one. Two changes for one user can commit in one order and reach their emits in the other (each
/// awaits storage on its own task); each change takes a stamp inside its transaction (transaction bodies run one at a
/// time, in commit order), and a count whose stamp is older than the last one sent is dropped. Only users with a change
/// in flight have an entry, so the table stays small.
final class UnreadCountPublisher: Sendable {
    private struct UserState {
        var inFlight = 0
        var lastSent: Int64 = 0
    }

    /// Emits keep the order they are handed over in (the runtime guarantees it), so handing over under the lock is enough.
    let messaging: any Messaging
    private let users = Mutex<[String: UserState]>([:])
    private let sequence = Atomic<Int64>(0)

    init(messaging: any Messaging) { self.messaging = messaging }

    /// Call inside the change's transaction, after its writes, when reading the count.
    func stamp() -> Int64 { sequence.add(1, ordering: .relaxed).newValue }

    /// Runs `change`, then `beforeCount` (the `newNotification` emit), then sends the count unless it is stale: to every
    /// socket of the user, or only to `socket` (a socket that just connected; its count changes nothing for the others,
    /// so it neither goes to them nor moves the user's last-sent mark — sending it to every tab made each connect cost a
    /// delivery per open socket of that user).
    func publish<Value: Sendable>(
        for userId: String, socket: String? = nil, _ change: () async throws -> CountedChange<Value>,
        beforeCount: (Value) -> Void = { _ in }
    ) async throws -> CountedChange<Value> {
        users.withLock { $0[userId, default: UserState()].inFlight += 1 }
        var result: CountedChange<Value>?
        defer { finish(userId, socket: socket, result) }
        let done = try await change()
        beforeCount(done.value)
        result = done
        return done
    }

    private func finish<Value>(_ userId: String, socket: String?, _ result: CountedChange<Value>?) {
        users.withLock { table in
            guard var state = table[userId] else { return }
            // Handing over under the lock is what orders the counts (the runtime keeps that order).
            if let result, result.stamp > state.lastSent {
                if let socket {
                    messaging.emit("unreadNotificationCount", [.int(result.unreadCount)], to: .socket(socket))
                } else {
                    messaging.emit("unreadNotificationCount", [.int(result.unreadCount)], to: .user(userId))
                    state.lastSent = result.stamp
                }
            }
            state.inFlight -= 1
            table[userId] = state.inFlight == 0 ? nil : state
        }
    }
}
