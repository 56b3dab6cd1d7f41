import EventLoop
import Synchronization
import WebSocket

/// The WebSocket transport over a `WebSocketSession`: text packets as text frames, binary messages as bare binary frames.
///
/// The session lives on the loop of its TCP connection; the Engine.IO socket on the loop where the session was
/// created (a polling handshake). When an upgrade arrives on another loop, the two halves talk through
/// `EventLoop.execute` (FIFO per loop, so packet order is kept both ways): frames received are decoded on the socket's
/// loop, packets to send are written on the session's loop. `isWritable` is mirrored in an atomic.
final class EngineIOWebSocketTransport: EngineIOTransport, @unchecked Sendable {
    let name = "websocket"
    /// Socket-loop state.
    weak var socket: EngineIOSocket?
    private var isClosed = false
    /// Session-loop state.
    private let session: WebSocketSession
    private let sessionLoop: EventLoop
    private let socketLoop: EventLoop
    private let writable = Atomic<Bool>(true)

    /// Called on the session's loop; wires the session's callbacks.
    init(session: WebSocketSession, socketLoop: EventLoop) {
        self.session = session
        self.sessionLoop = session.loop
        self.socketLoop = socketLoop
        session.onTextBytes = { [self] bytes in deliver(binary: false, bytes) }
        session.onBinary = { [self] bytes in deliver(binary: true, bytes) }
        session.onWritabilityChange = { [self] now in writable.store(now, ordering: .relaxed) }
        session.onClose = { [self] info in
            // A failed connection (protocol error, oversized message) is the official "error" event.
            let error = !info.wasClean && info.code != WebSocketCloseCode.abnormalClosure
            onSocketLoop { $0.sessionClosed(error: error) }
        }
    }

    private var isRemote: Bool { sessionLoop !== socketLoop }

    // MARK: Session loop → socket loop

    private func onSocketLoop(_ body: @escaping (EngineIOWebSocketTransport) -> Void) {
        if !isRemote {
            body(self)
        } else {
            let box = LoopBound((self, body))
            socketLoop.execute { box.value.1(box.value.0) }
        }
    }

    private func deliver(binary: Bool, _ bytes: [UInt8]) {
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
            let box = LoopBound((session, body))
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
            let box = LoopBound((session, packets))
            sessionLoop.execute { for packet in box.value.1 { Self.write(packet, to: box.value.0) } }
        }
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
