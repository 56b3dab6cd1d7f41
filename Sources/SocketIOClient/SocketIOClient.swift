import EngineIO
import EventLoop
import GatewayProtocol
import SocketIO
import WebSocket

/// A Socket.IO v5 client connection (what the JS client calls a Manager): one Engine.IO session on one loop, multiplexing
/// namespace sockets (`socket(_:auth:)`). Loop-confined: create it and call everything on `loop`; handlers run there too.
public final class SocketIOClient {
    public struct Options: Sendable {
        public var engine: EngineIOClient.Options
        /// `emitWithAck` without an explicit timeout waits this long.
        public var ackTimeoutMs: UInt64
        /// When set, a session lost to the network (not closed by either side on purpose) is reopened after this delay and
        /// every socket reconnects, offering its `pid`/offset for connection-state recovery.
        public var reconnectDelayMs: UInt64?
        public var maxAttachments: Int

        public init(engine: EngineIOClient.Options, ackTimeoutMs: UInt64 = 10_000, reconnectDelayMs: UInt64? = nil,
                    maxAttachments: Int = 10) {
            self.engine = engine
            self.ackTimeoutMs = ackTimeoutMs
            self.reconnectDelayMs = reconnectDelayMs
            self.maxAttachments = maxAttachments
        }

        /// `url` is `ws://`, `wss://`, `http://` or `https://`; a secure URL needs `caFile` (the CA that signed the server's
        /// certificate; nil = the system's trust store).
        public init(url: String, transports: [EngineIOClient.Transport] = [.websocket], caFile: String? = nil,
                    query: [(String, String)] = []) throws(SocketIOClientError) {
            let endpoint = try ClientEndpoint(url: url)
            let tls = endpoint.secure ? try SocketIOClient.tlsContext(caFile: caFile) : nil
            self.init(engine: EngineIOClient.Options(endpoint: endpoint, transports: transports, tls: tls, query: query))
        }
    }

    public let loop: EventLoop
    public let options: Options
    public private(set) var engine: EngineIOClient?
    /// The Engine.IO session ended; the reason as the JS client words it ("transport close", "ping timeout", …).
    public var onEngineClose: ((String) -> Void)?
    private var sockets: [String: SocketIOClientSocket] = [:]
    private var decoder: SocketIODecoder
    private var closedOnPurpose = false
    private var reconnectTimer: LoopTimer?

    public init(options: Options, loop: EventLoop) {
        self.options = options
        self.loop = loop
        decoder = SocketIODecoder(maxAttachments: options.maxAttachments)
    }

    /// A TLS context that verifies the server against `caFile` (PEM) or, when nil, the system's trust store.
    public static func tlsContext(caFile: String?) throws(SocketIOClientError) -> TLSClientContext {
        do { return try TLSClientContext(configuration: TLSClientConfiguration(trustedCertificatesPath: caFile)) } catch {
            throw .tls(error.description)
        }
    }

    /// The socket for namespace `nsp` (one per namespace; `auth` is sent in its CONNECT packet).
    public func socket(_ nsp: String = "/", auth: JSONObject? = nil) -> SocketIOClientSocket {
        if let existing = sockets[nsp] { return existing }
        let socket = SocketIOClientSocket(client: self, nsp: nsp, auth: auth)
        sockets[nsp] = socket
        return socket
    }

    /// Opens the Engine.IO session if none is open; sockets that asked to connect send CONNECT once it is.
    public func open() {
        guard engine == nil else { return }
        closedOnPurpose = false
        let engine = EngineIOClient(options: options.engine, loop: loop)
        self.engine = engine
        engine.onOpen = { [weak self] in guard let self else { return }; for socket in sockets.values where socket.wantsConnection { socket.sendConnect() } }
        engine.onMessage = { [weak self] message in guard let self else { return }; receive(message) }
        engine.onClose = { [weak self] reason in guard let self else { return }; engineClosed(reason) }
        engine.open()
    }

    /// Closes the session and every socket ("io client disconnect"); no reconnection follows.
    public func close() {
        closedOnPurpose = true
        if let reconnectTimer, reconnectTimer.isArmed { loop.cancel(reconnectTimer) }
        for socket in sockets.values where socket.connected { socket.sendDisconnectPacket() }
        engine?.close()
    }

    /// Hands the open WebSocket over to the caller, with the Engine.IO session and every connected namespace still live on
    /// the server: from then on the caller reads and writes the Engine.IO packets itself and must answer the server's
    /// pings (`2` → `3`). This client lets go quietly: no close or DISCONNECT packet, no `onDisconnect` or
    /// `onEngineClose`, no reconnection; acks still owed fail with `.disconnected("handed over")`, and the sockets show
    /// disconnected. For load tools with their own hot path. nil (and nothing changes) unless the session is open on
    /// WebSocket; what the server sent that the client had read but not yet handled is dropped, so call it when the
    /// server has nothing in flight (for example in `onConnect`, or in the callback of the last ack awaited).
    public func handOverWebSocket() -> WebSocketSession? {
        guard let engine, let session = engine.handOverWebSocket() else { return nil }
        self.engine = nil
        closedOnPurpose = true
        decoder.reset()
        for socket in sockets.values { socket.handedOver() }
        return session
    }

    /// Drops the network connection without a goodbye, as a network failure would (tests of recovery use it).
    public func dropTransport() { engine?.drop() }

    var isEngineOpen: Bool { engine?.isOpen ?? false }

    func send(_ packet: SocketIOPacket) {
        guard let engine, engine.isOpen else { return }
        var header: [UInt8] = [UInt8(ascii: "4")]
        header.reserveCapacity(64)
        packet.encodeHeader(into: &header)
        engine.sendFramedText(header)
        for attachment in packet.attachments { engine.send(.binary(attachment)) }
    }

    private func receive(_ message: EngineIOMessage) {
        let packet: SocketIOPacket?
        do {
            switch message {
            case .text(let bytes): packet = try decoder.add(.text(bytes))
            case .binary(let bytes): packet = try decoder.add(.binary(bytes))
            }
        } catch {
            engine?.close()
            engineClosed("parse error")
            return
        }
        guard let packet else { return }
        sockets[packet.nsp]?.receive(packet)
    }

    private func engineClosed(_ reason: String) {
        engine = nil
        decoder.reset()
        let wasOnPurpose = closedOnPurpose
        for socket in sockets.values { socket.engineClosed(wasOnPurpose ? "io client disconnect" : reason) }
        onEngineClose?(reason)
        if !wasOnPurpose, let delay = options.reconnectDelayMs, sockets.values.contains(where: { $0.wantsConnection }) {
            reconnectTimer = loop.scheduleTimer(afterMs: delay) { [weak self] in self?.open() }
        }
    }

    func socketDisconnected(_ socket: SocketIOClientSocket) {
        if !sockets.values.contains(where: { $0.wantsConnection }) { close() }
    }
}
