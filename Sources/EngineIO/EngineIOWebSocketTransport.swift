import EventLoop
import Synchronization
import WebSocket

/// The WebSocket transport over a `WebSocketSession`: text packets as text frames, binary messages as bare binary frames.
///
/// The session lives on the loop of its TCP connection; the Engine.IO socket on the loop where the session was
/// created (a polling handshake). When an upgrade arrives on another loop, the two halves talk through
/// `EventLoop.execute` (FIFO per loop, so packet order is kept both ways): frames received are decoded on the socket's
/// loop, packets to send are written on the session's loop. `isWritable` is mirrored in an atomic.
final class EngineIOWebSocketTransport: EngineIOTransport, WebSocketSessionHandler, @unchecked Sendable {
    var name: String { "websocket" }
    /// Socket-loop state.
    var socket: EngineIOSocket?
    private var isClosed = false
    /// Session-loop state.
    private let session: WebSocketSession
    private let sessionLoop: EventLoop
    private let socketLoop: EventLoop
    private let writable = Atomic<Bool>(true)

    /// Session-loop state: an upgrade candidate answers `2probe` itself, on the session's loop, so `3probe` leaves as
    /// soon as the probe is read (as in a single-threaded server) even when the socket lives on another loop. Cleared
    /// by the `5` that completes the upgrade.
    private var answersProbes: Bool

    /// Called on the session's loop; becomes the session's handler. `upgrade`: this is a candidate for an existing sid.
    init(session: WebSocketSession, socketLoop: EventLoop, upgrade: Bool) {
        self.session = session
        self.sessionLoop = session.loop
        self.socketLoop = socketLoop
        self.answersProbes = upgrade
        self.answeredProbesLocally = upgrade
        session.handler = self
    }

    // MARK: WebSocketSessionHandler (on the session's loop)

    func webSocket(_ session: WebSocketSession, text bytes: [UInt8]) {
        if answersProbes {
            if bytes == Self.probeFrame {
                session.sendText(utf8: Self.probeReply)
            } else if bytes.first == UInt8(ascii: "5") {
                answersProbes = false
            }
        }
        deliver(binary: false, bytes)
    }

    func webSocket(_ session: WebSocketSession, binary bytes: [UInt8]) { deliver(binary: true, bytes) }

    func webSocket(_ session: WebSocketSession, writable now: Bool) { writable.store(now, ordering: .relaxed) }

    func webSocketClosed(_ session: WebSocketSession, info: WebSocketCloseInfo) {
        // A failed connection (protocol error, oversized message) is the official "error" event.
        let error = !info.wasClean && info.code != WebSocketCloseCode.abnormalClosure
        onSocketLoop { $0.sessionClosed(error: error) }
    }

    var isRemote: Bool { sessionLoop !== socketLoop }

    static let probeFrame: [UInt8] = Array("2probe".utf8)
    static let probeReply: [UInt8] = Array("3probe".utf8)
    /// Set (on the socket's loop) for a candidate: its `2probe`s were answered on the session's loop already.
    let answeredProbesLocally: Bool

    /// Runs `body` on the socket's loop once every frame the session has read so far was delivered there (one round
    /// trip), so a request handled during an upgrade sees the order a single-threaded server would give it.
    func afterReceivedInput(_ body: @escaping @Sendable () -> Void) {
        guard isRemote else { return body() }
        let socketLoop = self.socketLoop, sessionLoop = self.sessionLoop
        sessionLoop.execute { socketLoop.execute(body) }
    }

    // MARK: Session loop → socket loop

    private func onSocketLoop(_ body: @escaping (EngineIOWebSocketTransport) -> Void) {
        if !isRemote {
            body(self)
        } else {
            let box = LoopBound((self, body), loop: socketLoop)
            socketLoop.execute { box.value.1(box.value.0) }
        }
    }

    private func deliver(binary: Bool, _ bytes: [UInt8]) {
        // Same loop (the usual case): a direct call, no closure allocated per frame.
        if !isRemote { return received(binary: binary, bytes) }
        onSocketLoop { $0.received(binary: binary, bytes) }
    }

    private func received(binary: Bool, _ bytes: [UInt8]) {
        guard !isClosed, let socket else { return }
        let packet: EngineIOPacket? = binary ? .message(.binary(bytes)) : EngineIOCodec.decodeTextPacket(bytes[...])
        socket.transport(self, didReceive: packet)
    }

    private func sessionClosed(error: Bool) {
        guard !isClosed else { return }
        isClosed = true
        socket?.transportDidClose(self, error: error)
    }

    // MARK: Socket loop → session loop

    private func onSessionLoop(_ body: @escaping (WebSocketSession) -> Void) {
        if !isRemote {
            body(session)
        } else {
            let box = LoopBound((session, body), loop: sessionLoop)
            sessionLoop.execute { box.value.1(box.value.0) }
        }
    }

    var canSend: Bool { !isClosed }
    var isWritable: Bool { !isClosed && writable.load(ordering: .relaxed) }

    func send(_ packets: [EngineIOOutgoing]) {
        guard !isClosed else { return }
        if !isRemote {
            for packet in packets { Self.write(packet, to: session) }
        } else {
            let box = LoopBound((session, packets), loop: sessionLoop)
            sessionLoop.execute { for packet in box.value.1 { Self.write(packet, to: box.value.0) } }
        }
    }

    func send(_ packet: EngineIOOutgoing) {
        guard !isClosed else { return }
        if !isRemote {
            Self.write(packet, to: session)
        } else {
            let box = LoopBound((session, packet), loop: sessionLoop)
            sessionLoop.execute { Self.write(box.value.1, to: box.value.0) }
        }
    }

    /// Same loop only: from another loop the bytes must be built first and travel to the session's loop.
    func sendText(writing body: (inout [UInt8]) -> Void) -> Int? {
        guard !isClosed, !isRemote else { return nil }
        var count = 0
        session.sendText { out in
            out.append(UInt8(ascii: "4"))
            let start = out.count
            body(&out)
            count = out.count - start
        }
        return count
    }

    private static func write(_ packet: EngineIOOutgoing, to session: WebSocketSession) {
        switch packet {
        case .prepared(let prepared):
            session.send(prepared.webSocket)
        case .packet(.message(.binary(let bytes))):
            session.sendBinary(bytes)
        case .packet(let p):
            var out: [UInt8] = []
            EngineIOCodec.appendPollingPacket(p, to: &out)
            session.sendText(utf8: out)
        }
    }

    /// The official transport just closes the WebSocket (no close packet).
    func close(_ done: @escaping () -> Void) {
        guard !isClosed else { return }
        isClosed = true
        onSessionLoop { $0.close() }
        done()
    }

    func discard() {}

    func retire() {
        isClosed = true
        onSessionLoop { $0.close() }
    }

    func onPeerClose() {
        guard !isClosed else { return }
        isClosed = true
        onSessionLoop { $0.close() }
        socket?.transportDidClose(self, error: false)
    }
}
