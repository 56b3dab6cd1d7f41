import EngineIO
import EventLoop
import WebSocket

/// What the Engine.IO client needs of a transport. Loop-confined.
class ClientTransport {
    var onActive: (() -> Void)?
    var onPacket: ((EngineIOPacket) -> Void)?
    /// Called once, with an Engine.IO close reason.
    var onClose: ((String) -> Void)?

    func start() {}
    func send(_ packet: EngineIOPacket) {}
    func close() {}

    func reportClose(_ reason: String) {
        let onClose = self.onClose
        self.onClose = nil
        onPacket = nil
        onClose?(reason)
    }
}

/// Engine.IO over one WebSocket: one packet per frame, binary messages as binary frames.
final class WebSocketClientTransport: ClientTransport {
    let endpoint: ClientEndpoint
    let target: String
    let tls: TLSClientContext?
    let loop: EventLoop
    private var session: WebSocketSession?
    private var closing = false

    init(endpoint: ClientEndpoint, target: String, tls: TLSClientContext?, loop: EventLoop) {
        self.endpoint = endpoint
        self.target = target
        self.tls = tls
        self.loop = loop
    }

    override func start() {
        WebSocketClient.connect(host: endpoint.host, port: endpoint.port, path: target, tls: tls,
                                serverName: tls == nil ? nil : endpoint.tlsServerName,
                                configuration: WebSocketConfiguration(maxMessageBytes: 64 * 1024 * 1024), on: loop) { [self] result in
            switch result {
            case .failure(let error):
                reportClose("transport error: \(error)")
            case .success(let session):
                guard !closing else { session.abort(); return }
                self.session = session
                session.onTextBytes = { [weak self] bytes in
                    guard let self else { return }
                    guard let packet = EngineIOCodec.decodeTextPacket(bytes[...]) else { return reportClose("parse error") }
                    onPacket?(packet)
                }
                session.onBinary = { [weak self] bytes in guard let self else { return }; onPacket?(.message(.binary(bytes))) }
                session.onClose = { [weak self] _ in
                    guard let self else { return }
                    detach()
                    reportClose("transport close")
                }
                onActive?()
            }
        }
    }

    func sendFramedText(_ framed: [UInt8]) { _ = session?.sendText(utf8: framed) }

    /// Gives the open WebSocket to the caller without closing it; this transport is done with it.
    func handOver() -> WebSocketSession? {
        guard let session, !closing else { return nil }
        closing = true
        onClose = nil
        onPacket = nil
        detach()
        self.session = nil
        return session
    }

    override func send(_ packet: EngineIOPacket) {
        guard let session else { return }
        let (binary, payload) = EngineIOCodec.encodeWebSocket(packet)
        _ = binary ? session.sendBinary(payload) : session.sendText(utf8: payload)
    }

    override func close() {
        closing = true
        onClose = nil
        onPacket = nil
        detach()
        session?.close()
    }

    /// The session may outlive this transport (its close handshake takes a while): it must not call back into it.
    private func detach() {
        session?.onTextBytes = nil
        session?.onBinary = nil
        session?.onClose = nil
    }
}
