import EventLoop

/// The heartbeats of one loop's sessions. A session waits either `pingInterval` (for its next ping) or `pingTimeout`
/// (for the pong), both fixed per server: a session re-armed goes to the back of its queue, so each queue stays in
/// deadline order and one loop timer, set for the earlier head, serves them all (Node keeps one list per duration for
/// the same reason). A timer per session cost an object per idle connection and a heap update per pong.
///
/// The queues are linked through the sessions (`heartbeatNext`/`heartbeatPrevious`); touched only on `loop`.
final class EngineIOHeartbeats: @unchecked Sendable {
    enum Phase { case idle, waitingToPing, waitingForPong }

    private let loop: EventLoop
    private var toPing = Queue()
    private var forPong = Queue()
    private lazy var timer = LoopTimer { [unowned self] in fire() }

    init(loop: EventLoop) { self.loop = loop }

    /// Queues `socket` (taking it out of any queue first) to be called back at `deadlineMs`.
    func arm(_ socket: EngineIOSocket, _ phase: Phase, deadlineMs: UInt64) {
        disarm(socket)
        socket.heartbeatDeadlineMs = deadlineMs
        socket.heartbeatPhase = phase
        switch phase {
        case .waitingToPing: toPing.append(socket)
        case .waitingForPong: forPong.append(socket)
        case .idle: return
        }
        if !timer.isArmed || deadlineMs < timer.deadlineMs { schedule(at: deadlineMs) }
    }

    func disarm(_ socket: EngineIOSocket) {
        switch socket.heartbeatPhase {
        case .waitingToPing: toPing.remove(socket)
        case .waitingForPong: forPong.remove(socket)
        case .idle: break
        }
        socket.heartbeatPhase = .idle
    }

    /// Calls back every session whose deadline passed, in deadline order per queue; the earliest remaining one sets the
    /// timer (a removal never re-arms it: it may fire early and find nothing due).
    private func fire() {
        let now = loop.nowMs
        while let socket = toPing.head, socket.heartbeatDeadlineMs <= now {
            disarm(socket)
            socket.heartbeatFired(phase: .waitingToPing)
        }
        while let socket = forPong.head, socket.heartbeatDeadlineMs <= now {
            disarm(socket)
            socket.heartbeatFired(phase: .waitingForPong)
        }
        let next = min(toPing.head?.heartbeatDeadlineMs ?? .max, forPong.head?.heartbeatDeadlineMs ?? .max)
        if next != .max { schedule(at: next) }
    }

    private func schedule(at deadlineMs: UInt64) {
        let now = loop.nowMs
        loop.schedule(timer, afterMs: deadlineMs > now ? deadlineMs - now : 0)
    }

    /// Sessions in arming order, which is deadline order.
    private struct Queue {
        private(set) var head: EngineIOSocket?
        private unowned(unsafe) var tail: EngineIOSocket?

        mutating func append(_ socket: EngineIOSocket) {
            socket.heartbeatPrevious = tail
            socket.heartbeatNext = nil
            if let tail { tail.heartbeatNext = socket } else { head = socket }
            tail = socket
        }

        mutating func remove(_ socket: EngineIOSocket) {
            let next = socket.heartbeatNext, previous = socket.heartbeatPrevious
            if let previous { previous.heartbeatNext = next } else { head = next }
            if let next { next.heartbeatPrevious = previous } else { tail = previous }
            socket.heartbeatNext = nil
            socket.heartbeatPrevious = nil
        }
    }
}
