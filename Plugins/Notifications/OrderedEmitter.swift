import GatewayProtocol

/// Sends this module's events from one task, in the order they were handed in. `Messaging.emit` queues bytes to the
/// recipient's loop, but when the caller is running on that very loop (a handler before its first suspension, or an
/// await that did not suspend) the write happens at once, ahead of emits other threads queued a moment earlier: two
/// counts handed over in order 1, 2 could reach the client as 2, 1. Emitting from a single task on the cooperative pool,
/// never a loop thread, keeps the order the publisher decided.
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
