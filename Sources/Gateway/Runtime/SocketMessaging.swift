import EventLoop
import GatewayProtocol
import SocketIO

/// `Messaging` on the Socket.IO server: every audience is a room broadcast (a socket's own id and a user's `#user:` room
/// included), so the packet is encoded once whatever the audience.
struct SocketMessaging: Messaging {
    let server: SocketIOServer

    private func target(_ audience: Audience, namespace: String) -> SocketIOBroadcastOperator {
        let operator_ = server.of(namespace).broadcastOperator
        switch audience {
        case .socket(let id): return operator_.to(id)
        case .user(let userId): return operator_.to(UserRooms.room(for: userId))
        case .room(let room): return operator_.to(room)
        case .everyone: return operator_
        }
    }

    func emit(_ event: String, _ arguments: EventArguments, to audience: Audience, namespace: String, except: Set<String>) {
        var operator_ = target(audience, namespace: namespace)
        if !except.isEmpty { operator_ = operator_.except(Array(except)) }
        _ = operator_.emit(event, arguments: arguments)
    }

    func emitWithAck(_ event: String, _ arguments: EventArguments, socket: String, namespace: String,
                     timeoutMs: Int) async throws -> EventArguments {
        let ns = server.of(namespace)
        guard let handle = ns.localSockets([socket]).first else {
            throw ModuleError("socket \(socket) is not connected", status: 404, code: "not_connected")
        }
        let result: SocketIOBroadcastAckResult = await withCheckedContinuation { continuation in
            ns.to(socket).timeout(UInt64(max(timeoutMs, 1))).emitWithAck(event, arguments: arguments, on: handle.loop) {
                continuation.resume(returning: $0)
            }
        }
        guard !result.timedOut, let answer = result.responses.first else {
            throw ModuleError("no acknowledgement within \(timeoutMs) ms", status: 504, code: "ack_timeout")
        }
        return answer
    }

    func join(socket: String, room: String, namespace: String) { server.of(namespace).to(socket).socketsJoin([room]) }
    func leave(socket: String, room: String, namespace: String) { server.of(namespace).to(socket).socketsLeave([room]) }

    func sockets(in room: String, namespace: String) async -> [String] {
        await withCheckedContinuation { continuation in
            server.of(namespace).adapter.sockets([room]) { continuation.resume(returning: Array($0)) }
        }
    }
}
