import EventLoop
import GatewayProtocol
import SocketIO

/// One authenticated socket's event queue, confined to its loop. Events run one at a time in arrival order (the contract
/// promises it: a chat client's messages are saved and broadcast in the order it sent them); a handler runs as a task that
/// starts inline, so a handler that never suspends answers before the loop moves on.
final class SocketSession {
    struct Job {
        let run: @Sendable () async -> Reply
    }

    enum Reply: Sendable {
        case none
        case ack(EventArguments)
        /// A failed handler: the error ack when one was asked for, else an `error` event.
        case failure(message: String, code: String, event: String)
    }

    let identity: Identity
    let remoteAddress: String
    /// Strong: the socket drops its handlers (which hold this session) when it goes, which ends the cycle.
    let socket: SocketIOSocket
    /// Shared by every socket: the wiring that made this session (strong: it outlives every socket, and an unowned
    /// reference costs a runtime check per event), and its namespace's event table.
    let wiring: ModuleSockets
    let events: EventTable<ModuleSockets.Handler>
    private var pending: [(Job, SocketIOAck?)] = []
    /// 32 bits, next to `running`: the session stays in a smaller allocation size class (one per idle socket).
    private var head: Int32 = 0
    private var running = false

    init(identity: Identity, remoteAddress: String, socket: SocketIOSocket, wiring: ModuleSockets,
         events: EventTable<ModuleSockets.Handler>) {
        self.identity = identity
        self.remoteAddress = remoteAddress
        self.socket = socket
        self.wiring = wiring
        self.events = events
    }

    /// Built when asked for (per event) from what the socket keeps anyway, rather than stored a second time per socket.
    var info: SocketInfo { SocketInfo(id: socket.id, namespace: socket.nsp, user: identity, remoteAddress: remoteAddress) }
    var loop: EventLoop { socket.loop }
    var queuedCount: Int { pending.count - Int(head) + (running ? 1 : 0) }
    /// No event of this socket is running or waiting.
    var isIdle: Bool { !running }

    /// False when the queue is full (the caller answers the client with an error instead).
    func enqueue(_ job: Job, ack: SocketIOAck?) -> Bool {
        guard queuedCount < wiring.maxPendingEvents else { return false }
        // Idle (the usual case): straight to the handler, the queue untouched.
        if running { pending.append((job, ack)) } else { run(job, ack: ack) }
        return true
    }

    /// After a reply: the next queued job, if any.
    private func runNext() {
        guard Int(head) < pending.count else {
            if !pending.isEmpty { pending.removeAll(keepingCapacity: true) }
            head = 0
            running = false
            return
        }
        let (job, ack) = pending[Int(head)]
        head += 1
        run(job, ack: ack)
    }

    private func run(_ job: Job, ack: SocketIOAck?) {
        running = true
        let bound = LoopBound((self, ack), loop: loop)
        Task.immediate {
            let reply = await job.run()
            SocketSession.complete(bound, reply)
        }
    }

    /// Still on the loop (the handler did not suspend): a direct call, no closure allocated per event.
    private static func complete(_ bound: LoopBound<(SocketSession, SocketIOAck?)>, _ reply: Reply) {
        if bound.loop.isInLoop { return finish(bound.value, reply) }
        bound.loop.execute { finish(bound.value, reply) }
    }

    private static func finish(_ target: (session: SocketSession, ack: SocketIOAck?), _ reply: Reply) {
        target.session.send(reply, ack: target.ack)
        target.session.runNext()
    }

    func send(_ reply: Reply, ack: SocketIOAck?) {
        switch reply {
        case .none:
            ack?.send([])
        case .ack(let arguments):
            ack?.send(arguments)
        case .failure(let message, let code, let event):
            var body = JSONObject(minimumCapacity: 3)
            body["message"] = .string(message)
            body["code"] = .string(code)
            if let ack {
                ack.send([.object(["error": .string(message), "code": .string(code)])])
            } else {
                body["event"] = .string(event)
                socket.emit("error", arguments: [.object(body)])
            }
        }
    }
}

extension SocketSession: SocketIOSocketListener {
    func socket(_ socket: SocketIOSocket, received event: String, _ arguments: SocketIOArguments, ack: SocketIOAck?) {
        wiring.received(event, arguments, ack, on: self)
    }

    func socket(_ socket: SocketIOSocket, disconnected reason: String) { wiring.disconnected(self, reason: reason) }
}
