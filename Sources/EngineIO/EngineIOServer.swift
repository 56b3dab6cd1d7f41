import EventLoop
import HTTP
import Synchronization
import WebSocket

/// An Engine.IO v4 server on an `HTTPServer` (the official `engine.io` 6.x `Server`, protocol 4 only).
///
/// Registers its routes and hooks the HTTP server's upgrade handler (keeping whichever handler was installed before,
/// e.g. a `WebSocketServer`'s) in `init`, so create it before `listen()`.
///
/// Sessions live on the loop of the connection that opened them. A polling request for a sid that lives on another loop
/// is handed to that loop (`EventLoop.execute`) and answered back through `respondFromAnyThread`; a WebSocket upgrade
/// arriving on another loop keeps its connection where it is and exchanges packets with the socket's loop
/// (`EngineIOWebSocketTransport`).
public final class EngineIOServer: @unchecked Sendable {
    public let configuration: EngineIOConfiguration
    public let http: HTTPServer
    /// Called on the socket's loop right after the open packet was queued; set the delegate here.
    public var onConnection: (@Sendable (EngineIOSocket) -> Void)?
    /// Handshakes only (requests without a sid), on the connection's loop. An error refuses the handshake: polling gets
    /// its JSON with 403 for code 4 (`.forbidden`), 400 otherwise; an upgrade gets the official plain 400.
    public var allowRequest: (@Sendable (HTTPRequestHead) -> EngineIOError?)?

    private struct Entry: @unchecked Sendable {
        let loop: EventLoop
        let socket: EngineIOSocket
    }
    private let sockets = Mutex<[String: Entry]>([:])
    private let webSockets: WebSocketServer
    /// The upgrade being accepted on each loop, between our verification and `WebSocketServer`'s `onOpen`.
    private let pendingUpgrades: [PendingUpgradeSlot]
    /// Per loop, by `EventLoop.index`.
    let heartbeats: [EngineIOHeartbeats]
    let upgrades: [String]

    public init(http: HTTPServer, configuration: EngineIOConfiguration = EngineIOConfiguration()) {
        self.http = http
        self.configuration = configuration
        webSockets = WebSocketServer(group: http.group)
        pendingUpgrades = http.group.loops.map { _ in PendingUpgradeSlot() }
        heartbeats = http.group.loops.map { EngineIOHeartbeats(loop: $0) }
        upgrades = configuration.allowUpgrades && configuration.transports.contains("websocket") ? ["websocket"] : []

        let compression = configuration.perMessageDeflate ? PerMessageDeflateConfiguration() : nil
        webSockets.register(path: configuration.path,
                            configuration: WebSocketConfiguration(maxMessageBytes: configuration.maxPayload,
                                                                  compression: compression)) { [weak self] session in
            self?.webSocketOpened(session)
        }
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
            http.route(method, configuration.path) { [weak self] context in
                guard let self else { return context.respond(HTTPResponse(status: 503)) }
                self.handleRequest(context)
            }
        }
        if configuration.transports.contains("websocket") {
            let previous = http.upgradeHandler
            http.upgradeHandler = { [weak self] request, connection, remaining in
                if let self, request.path == self.configuration.path {
                    self.handleUpgrade(request, connection: connection, remainingBytes: remaining)
                    return true
                }
                return previous?(request, connection, remaining) ?? false
            }
        }
    }

    public var clientsCount: Int { sockets.withLock { $0.count } }
    /// Sessions whose transport is a WebSocket (direct or upgraded); the rest poll. For metrics.
    public var webSocketClientsCount: Int { webSocketSessions.load(ordering: .relaxed) }
    let webSocketSessions = Atomic<Int>(0)
    /// Messages and their payload bytes in and out, over every session (for metrics).
    public let traffic = EngineIOTraffic()

    /// Closes every session now (no waiting for polls); delegates hear "server shutting down".
    public func closeAll() {
        let entries = sockets.withLock { Array($0.values) }
        for entry in entries {
            let box = LoopBound(entry.socket, loop: entry.loop)
            entry.loop.execute { box.value.closeDiscarding(reason: "server shutting down") }
        }
    }

    /// On the socket's loop, when it closed.
    func remove(_ socket: EngineIOSocket) {
        let removed = sockets.withLock { table -> Bool in
            guard table[socket.id]?.socket === socket else { return false }
            table.removeValue(forKey: socket.id)
            return true
        }
        if removed && socket.transportName == "websocket" { webSocketSessions.wrappingAdd(-1, ordering: .relaxed) }
    }

    private func lookup(_ sid: String) -> Entry? { sockets.withLock { $0[sid] } }

    // MARK: Verification (the official `verify` and handshake checks, in their order)

    private func verify(_ head: HTTPRequestHead, query: [String: String], upgrade: Bool) -> EngineIOError? {
        guard let transport = query["transport"], configuration.transports.contains(transport) else {
            return .unknownTransport
        }
        if let origin = head.headers["Origin"], origin.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            return .badRequest
        }
        if let sid = query["sid"], !sid.isEmpty {
            // Existence only here; the transport-mismatch check runs on the socket's loop.
            return lookup(sid) == nil ? .unknownSid : nil
        }
        if head.method != "GET" { return .badHandshakeMethod }
        if transport == "websocket" && !upgrade { return .badRequest }
        if let allowRequest, let refusal = allowRequest(head) { return refusal }
        if query["EIO"] != "4" { return .unsupportedProtocolVersion }
        return nil
    }

    private func makeHandshake(_ head: HTTPRequestHead, remoteAddress: String,
                               isSecure: Bool) -> EngineIOHandshake {
        guard configuration.keepsHandshakeRequest else {
            return EngineIOHandshake(headers: HTTPHeaders(), remoteAddress: remoteAddress, isSecure: isSecure, url: "")
        }
        return EngineIOHandshake(headers: head.headers, remoteAddress: remoteAddress, isSecure: isSecure, url: head.target)
    }

    // MARK: Polling

    private func handleRequest(_ context: HTTPRequestContext) {
        let head = context.request.head
        let query = head.queryParameters
        if let error = verify(head, query: query, upgrade: false) {
            context.respond(error.response)
            return
        }
        if let sid = query["sid"], !sid.isEmpty {
            guard let entry = lookup(sid) else { return context.respond(EngineIOError.unknownSid.response) }
            // TRANSPORT_MISMATCH: only polling is spoken over plain HTTP requests.
            guard query["transport"] == "polling" else { return context.respond(EngineIOError.badRequest.response) }
            if entry.loop === context.loop {
                Self.pollingRequest(PollingRequest(context: context, remote: false), for: entry.socket)
            } else {
                let box = LoopBound((entry.socket, context), loop: entry.loop)
                entry.loop.execute { Self.pollingRequest(PollingRequest(context: box.value.1, remote: true), for: box.value.0) }
            }
            return
        }
        // Handshake over polling: the socket lives on this loop; this GET carries the open packet.
        let transport = EngineIOPollingTransport(loop: context.loop, configuration: configuration)
        let socket = register(loop: context.loop, transport: transport,
                              handshake: makeHandshake(head, remoteAddress: context.remoteAddress,
                                                       isSecure: context.isSecure))
        socket.open()
        transport.onRequest(PollingRequest(context: context, remote: false))
        onConnection?(socket)
    }

    /// On the socket's loop.
    private static func pollingRequest(_ request: PollingRequest, for socket: EngineIOSocket, ordered: Bool = false) {
        guard !socket.closeIfPingTimedOut() else { return request.respond(EngineIOError.unknownSid.response) }
        if !ordered, let candidate = socket.upgradeCandidate as? EngineIOWebSocketTransport, candidate.isRemote {
            // The upgrading WebSocket lives on another loop: let what it already read (`2probe`, `5`) reach this
            // socket first, as a single-threaded server would, so a poll sent after `5` is refused as the official one.
            let box = LoopBound((request, socket), loop: socket.loop)
            candidate.afterReceivedInput { pollingRequest(box.value.0, for: box.value.1, ordered: true) }
            return
        }
        guard let polling = socket.transport as? EngineIOPollingTransport else {
            // TRANSPORT_MISMATCH: e.g. a poll after the upgrade.
            return request.respond(EngineIOError.badRequest.response)
        }
        polling.onRequest(request)
    }

    private func register(loop: EventLoop, transport: EngineIOTransport, handshake: EngineIOHandshake) -> EngineIOSocket {
        while true {
            let id = EngineIOSid.generate()
            let socket = EngineIOSocket(id: id, server: self, loop: loop, handshake: handshake, transport: transport)
            let inserted = sockets.withLock { table -> Bool in
                guard table[id] == nil else { return false }
                table[id] = Entry(loop: loop, socket: socket)
                return true
            }
            if inserted {
                if transport.name == "websocket" { webSocketSessions.wrappingAdd(1, ordering: .relaxed) }
                return socket
            }
        }
    }

    // MARK: WebSocket

    private func handleUpgrade(_ request: HTTPRequest, connection: Connection, remainingBytes: [UInt8]) {
        let query = request.head.queryParameters
        if let error = verify(request.head, query: query, upgrade: true) {
            return abortUpgrade(connection, error)
        }
        guard query["transport"] == "websocket", request.headers.containsToken("Upgrade", "websocket") else {
            return abortUpgrade(connection, .badRequest)
        }
        let slot = pendingUpgrades[connection.loop.index]
        let sid = query["sid"].flatMap { $0.isEmpty ? nil : $0 }
        slot.pending = PendingUpgrade(sid: sid, handshake: makeHandshake(request.head,
                                                                         remoteAddress: connection.remoteAddress,
                                                                         isSecure: connection.tls != nil))
        // Answers 101 (then calls `webSocketOpened` synchronously) or refuses a malformed handshake itself.
        _ = webSockets.handleUpgrade(request, connection: connection, remainingBytes: remainingBytes)
        slot.pending = nil
    }

    private func webSocketOpened(_ session: WebSocketSession) {
        guard let pending = pendingUpgrades[session.loop.index].pending else {
            session.close()
            return
        }
        guard let sid = pending.sid else {
            // Handshake over WebSocket: no upgrades offered.
            let transport = EngineIOWebSocketTransport(session: session, socketLoop: session.loop, upgrade: false)
            let socket = register(loop: session.loop, transport: transport, handshake: pending.handshake)
            socket.open()
            onConnection?(socket)
            return
        }
        guard let entry = lookup(sid) else {
            session.close()
            return
        }
        let transport = EngineIOWebSocketTransport(session: session, socketLoop: entry.loop, upgrade: true)
        if entry.loop === session.loop {
            entry.socket.maybeUpgrade(transport)
        } else {
            let box = LoopBound((entry.socket, transport), loop: entry.loop)
            entry.loop.execute { box.value.0.maybeUpgrade(box.value.1) }
        }
    }

    /// The official `abortUpgrade`: a bare 400 whose body is the message, then the connection is dropped.
    private func abortUpgrade(_ connection: Connection, _ error: EngineIOError) {
        let message = Array(error.message.utf8)
        var out = Array("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: \(message.count)\r\n\r\n".utf8)
        out += message
        connection.delegate = DiscardingConnectionDelegate()
        connection.write(out)
        connection.close()
    }
}

struct PendingUpgrade {
    let sid: String?
    let handshake: EngineIOHandshake
}

/// Touched only on its loop.
final class PendingUpgradeSlot: @unchecked Sendable {
    var pending: PendingUpgrade?
}

/// Sits on a connection being closed after a refused upgrade.
final class DiscardingConnectionDelegate: ConnectionDelegate {
    func connectionDidBecomeActive(_ connection: Connection) {}
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {}
}
