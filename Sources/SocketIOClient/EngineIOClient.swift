import EngineIO
import EventLoop
import GatewayProtocol
import WebSocket

/// One Engine.IO v4 client session on one loop: opens with the first transport of `options.transports`, upgrades
/// polling → websocket when both are allowed and the server offers it, answers pings, and closes itself when the server's
/// pings stop (pingInterval + pingTimeout). Loop-confined: call everything on `loop`.
public final class EngineIOClient {
    public enum Transport: String, Sendable { case polling, websocket }

    public struct Options: Sendable {
        public var endpoint: ClientEndpoint
        /// The first opens the session; `[.polling, .websocket]` upgrades when the server offers websocket.
        public var transports: [Transport]
        /// Required for `wss://`/`https://`: the context that verifies the server (see `SocketIOClient.tlsContext`).
        public var tls: TLSClientContext?
        /// Extra query parameters on every request.
        public var query: [(String, String)]
        public var openTimeoutMs: UInt64

        public init(endpoint: ClientEndpoint, transports: [Transport] = [.websocket], tls: TLSClientContext? = nil,
                    query: [(String, String)] = [], openTimeoutMs: UInt64 = 20_000) {
            self.endpoint = endpoint
            self.transports = transports
            self.tls = tls
            self.query = query
            self.openTimeoutMs = openTimeoutMs
        }
    }

    public let loop: EventLoop
    public let options: Options
    public private(set) var sid: String?
    public private(set) var transport: Transport?
    public private(set) var isOpen = false
    public var onOpen: (() -> Void)?
    public var onMessage: ((EngineIOMessage) -> Void)?
    /// The session is over: "transport close", "transport error", "ping timeout", "forced close", "parse error" or an
    /// open failure ("open failed: …"). Called once.
    public var onClose: ((String) -> Void)?

    private var current: ClientTransport?
    private var probing: ClientTransport?
    private var pingIntervalMs: UInt64 = 25_000
    private var pingTimeoutMs: UInt64 = 20_000
    private var heartbeat: LoopTimer?
    private var closed = false

    public init(options: Options, loop: EventLoop) {
        self.options = options
        self.loop = loop
    }

    public func open() {
        let first = options.transports.first ?? .websocket
        transport = first
        let opening = makeTransport(first, sid: nil)
        current = opening
        heartbeat = loop.scheduleTimer(afterMs: options.openTimeoutMs) { [weak self] in
            self?.finish("open failed: no open packet within \(self?.options.openTimeoutMs ?? 0) ms")
        }
        opening.start()
    }

    public func send(_ message: EngineIOMessage) { send(packet: .message(message)) }

    /// A text message already framed as an Engine.IO packet (`4…`): the Socket.IO client writes its header after the `4`
    /// itself, which saves a copy per emit on WebSocket.
    func sendFramedText(_ framed: [UInt8]) {
        guard !closed else { return }
        if let socket = current as? WebSocketClientTransport {
            socket.sendFramedText(framed)
        } else {
            current?.send(.message(.text(Array(framed[1...]))))
        }
    }

    func send(packet: EngineIOPacket) {
        guard !closed else { return }
        current?.send(packet)
    }

    /// Closes the session (sends the close packet first).
    public func close() {
        guard !closed else { return }
        current?.send(.close)
        finish("forced close")
    }

    /// Ends this client's part in an open WebSocket session without closing it: the heartbeat stops, no callback runs, and
    /// the caller gets the WebSocket, on which the Engine.IO session goes on (see `SocketIOClient.handOverWebSocket`).
    /// nil when the session is not open on WebSocket (or is mid-upgrade).
    func handOverWebSocket() -> WebSocketSession? {
        guard !closed, isOpen, probing == nil, let socket = current as? WebSocketClientTransport,
              let session = socket.handOver() else { return nil }
        closed = true
        isOpen = false
        if let heartbeat, heartbeat.isArmed { loop.cancel(heartbeat) }
        heartbeat = nil
        current = nil
        onClose = nil
        onMessage = nil
        onOpen = nil
        return session
    }

    /// Ends the session without the close packet, as a lost network would.
    func drop() { finish("transport close") }

    private func makeTransport(_ kind: Transport, sid: String?) -> ClientTransport {
        let target = options.endpoint.target(transport: kind, sid: sid, query: options.query)
        let made: ClientTransport = kind == .websocket
            ? WebSocketClientTransport(endpoint: options.endpoint, target: target, tls: options.tls, loop: loop)
            : PollingClientTransport(endpoint: options.endpoint, target: target, tls: options.tls, loop: loop)
        made.onPacket = { [weak self, weak made] packet in guard let self, let made else { return }; receive(packet, from: made) }
        made.onClose = { [weak self, weak made] reason in guard let self, let made else { return }; transportClosed(made, reason: reason) }
        return made
    }

    private func receive(_ packet: EngineIOPacket, from source: ClientTransport) {
        guard !closed else { return }
        if source === probing {
            probeAnswered(packet)
            return
        }
        switch packet {
        case .message(let message):
            onMessage?(message)
        case .ping(let data):
            source.send(.pong(data))
            armHeartbeat()
        case .open(let json):
            opened(json)
        case .close:
            finish("transport close")
        case .pong, .upgrade, .noop:
            break
        }
    }

    private func opened(_ json: [UInt8]) {
        guard sid == nil else { return }
        guard let open = try? JSONValue.parse(bytes: json), let sid = open["sid"]?.stringValue else {
            finish("open failed: malformed open packet")
            return
        }
        self.sid = sid
        if let interval = open["pingInterval"]?.intValue, interval > 0 { pingIntervalMs = UInt64(interval) }
        if let timeout = open["pingTimeout"]?.intValue, timeout > 0 { pingTimeoutMs = UInt64(timeout) }
        (current as? PollingClientTransport)?.sid = sid
        isOpen = true
        armHeartbeat()
        onOpen?()
        let offered = open["upgrades"]?.arrayValue?.contains(.string("websocket")) ?? false
        if transport == .polling, offered, options.transports.contains(.websocket), !closed { startUpgrade(sid: sid) }
    }

    private func startUpgrade(sid: String) {
        let probe = makeTransport(.websocket, sid: sid)
        probing = probe
        probe.onActive = { [weak probe] in guard let probe else { return }; probe.send(.ping(Array("probe".utf8))) }
        probe.start()
    }

    private func probeAnswered(_ packet: EngineIOPacket) {
        guard let probe = probing, case .pong(let data) = packet, data == Array("probe".utf8) else {
            transportClosed(probing!, reason: "transport error")
            return
        }
        // As the official client: polling first finishes what it has in flight (the server answers the held GET with a
        // noop), so that nothing arrives on it after the `5`; what was queued meanwhile follows the `5` on the WebSocket.
        guard let polling = current as? PollingClientTransport else { return }
        polling.pause { [weak self] in
            guard let self else { return }
            guard !closed, probing === probe else { return }
            probe.send(.upgrade)
            let unsent = polling.retire()
            current = probe
            probing = nil
            transport = .websocket
            for packet in unsent { probe.send(packet) }
        }
    }

    private func transportClosed(_ source: ClientTransport, reason: String) {
        if source === probing {
            // A failed probe leaves the session on polling, as the official client does.
            probing = nil
            return
        }
        guard source === current else { return }
        finish(isOpen ? reason : "open failed: \(reason)")
    }

    private func armHeartbeat() {
        if let heartbeat, heartbeat.isArmed { loop.cancel(heartbeat) }
        heartbeat = loop.scheduleTimer(afterMs: pingIntervalMs + pingTimeoutMs) { [weak self] in self?.finish("ping timeout") }
    }

    private func finish(_ reason: String) {
        guard !closed else { return }
        closed = true
        isOpen = false
        if let heartbeat, heartbeat.isArmed { loop.cancel(heartbeat) }
        heartbeat = nil
        current?.close()
        probing?.close()
        let onClose = self.onClose
        self.onClose = nil
        onMessage = nil
        onOpen = nil
        onClose?(reason)
    }
}
