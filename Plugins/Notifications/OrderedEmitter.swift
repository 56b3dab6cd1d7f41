import GatewayProtocol

/// Sends this module's events from one task, in the order they were handed in. Emits handed to `Messaging` one after
/// the other from different tasks were seen to reach a client out of order (counts 1, 2 arriving as 2, 1 in about one
/// run in three of the concurrency test): the transport writes at once when the caller is already on the recipient's
/// loop (`SocketIONamespace.forEach`), ahead of emits other threads queued there a moment earlier. One task on the
/// cooperative pool, never a loop thread, hands every emit over in order, so they are all queued and stay in order.
final class OrderedEmitter: Sendable {
    private struct Emit: Sendable {
        let event: String
        let arguments: EventArguments
        let audience: Audience
    }

    private let continuation: AsyncStream<Emit>.Continuation
    private let sender: Task<Void, Never>

    init(messaging: any Messaging) {
        let (stream, continuation) = AsyncStream.makeStream(of: Emit.self)
        self.continuation = continuation
        sender = Task.detached {
            for await emit in stream { messaging.emit(emit.event, emit.arguments, to: emit.audience) }
        }
    }

    func emit(_ event: String, _ arguments: EventArguments, to audience: Audience) {
        continuation.yield(Emit(event: event, arguments: arguments, audience: audience))
    }

    /// Sends what is queued, then stops.
    func finish() async {
        continuation.finish()
        await sender.value
    }
}
