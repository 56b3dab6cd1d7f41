import EventLoop
import GatewayProtocol
import Synchronization

/// The Socket.IO server: namespaces (static, and dynamic ones created on demand), and the entry point of the Engine.IO layer
/// (`handleNewConnection`). Thread-safe; each connection is served on its own loop.
public final class SocketIOServer: Sendable {
    public let options: SocketIOServerOptions
    /// The decoding limits of `options`, shared by every client's decoder.
    let decoderLimits: SocketIODecoder.Limits

    private struct State {
        var namespaces: [String: SocketIONamespace] = [:]
        var parents: [SocketIOParentNamespace] = []
        var clients: [ObjectIdentifier: LoopBound<SocketIOClient>] = [:]
        var closed = false
    }
    private let state = Mutex(State())

    public init(options: SocketIOServerOptions = SocketIOServerOptions()) {
        self.options = options
        decoderLimits = SocketIODecoder.Limits(maxAttachments: options.maxAttachments, jsonOptions: options.jsonOptions)
        _ = of("/")
    }

    /// The main namespace, `/`.
    public var sockets: SocketIONamespace { of("/") }

    /// The namespace `name` (a leading `/` is added when missing), created when it does not exist: as a child of a parent
    /// namespace whose predicate accepts the name, or else a plain one.
    public func of(_ name: String) -> SocketIONamespace {
        let name = name.hasPrefix("/") ? name : "/" + name
        if let existing = state.withLock({ $0.namespaces[name] }) { return existing }
        let parent = state.withLock { $0.parents }.first { $0.matches(name, [:]) }
        return insert(name: name, parent: parent)
    }

    /// A parent namespace: any namespace a client asks for whose name (and CONNECT auth) `matches` accepts is created on the
    /// fly as its child, as official `io.of(/regex/)` / `io.of((name, auth, next) => …)`.
    public func of(matching matches: @escaping @Sendable (_ name: String, _ auth: JSONObject) -> Bool) -> SocketIOParentNamespace {
        let parent = SocketIOParentNamespace(matches: matches)
        state.withLock { $0.parents.append(parent) }
        return parent
    }

    private func insert(name: String, parent: SocketIOParentNamespace?) -> SocketIONamespace {
        // Built outside the lock (the adapter factory is user code), then the first one in wins.
        let candidate = SocketIONamespace(name: name, server: self)
        let (namespace, inserted) = state.withLock { s -> (SocketIONamespace, Bool) in
            if let existing = s.namespaces[name] { return (existing, false) }
            s.namespaces[name] = candidate
            return (candidate, true)
        }
        if inserted, let parent { parent.adopt(namespace) }
        return namespace
    }

    /// The namespace a CONNECT asks for: an existing one, or a new child of the first parent that accepts it; nil otherwise
    /// ("Invalid namespace").
    func namespace(for name: String, auth: JSONObject) -> SocketIONamespace? {
        let (existing, parents) = state.withLock { ($0.namespaces[name], $0.parents) }
        if let existing { return existing }
        guard let parent = parents.first(where: { $0.matches(name, auth) }) else { return nil }
        return insert(name: name, parent: parent)
    }

    // MARK: Main-namespace shortcuts (as official `io.emit`, `io.to`, …)

    public func to(_ rooms: Room...) -> SocketIOBroadcastOperator { sockets.broadcastOperator.to(rooms) }
    public func `in`(_ rooms: Room...) -> SocketIOBroadcastOperator { sockets.broadcastOperator.to(rooms) }
    public func except(_ rooms: Room...) -> SocketIOBroadcastOperator { sockets.broadcastOperator.except(rooms) }
    public var volatile: SocketIOBroadcastOperator { sockets.volatile }
    public var local: SocketIOBroadcastOperator { sockets.local }
    public func timeout(_ ms: UInt64) -> SocketIOBroadcastOperator { sockets.timeout(ms) }
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Bool { sockets.emit(event, arguments: SocketIOArguments(args)) }
    public func use(_ middleware: @escaping SocketIOMiddleware) { sockets.use(middleware) }

    public var namespaceNames: [String] { state.withLock { Array($0.namespaces.keys) } }
    public var clientCount: Int { state.withLock { $0.clients.count } }

    // MARK: Engine.IO boundary

    /// Called by the Engine.IO layer on the connection's loop for each new connection; it then feeds the returned handler.
    public func handleNewConnection(_ conn: EngineConnection) -> EngineConnectionHandler {
        let client = SocketIOClient(conn: conn, server: self)
        let refused = state.withLock { s -> Bool in
            if s.closed { return true }
            s.clients[ObjectIdentifier(client)] = LoopBound(client, loop: conn.loop)
            return false
        }
        if refused {
            client.close()
        } else {
            client.start()
        }
        return client
    }

    func unregister(_ client: SocketIOClient) {
        _ = state.withLock { $0.clients.removeValue(forKey: ObjectIdentifier(client)) }
    }

    /// Disconnects every socket ("server shutting down", sessions kept for recovery) and closes every connection, each on its
    /// loop. New connections are refused afterwards.
    public func close() {
        let clients = state.withLock { s -> [LoopBound<SocketIOClient>] in
            s.closed = true
            return Array(s.clients.values)
        }
        var byLoop: [ObjectIdentifier: (EventLoop, [LoopBound<SocketIOClient>])] = [:]
        for client in clients { byLoop[ObjectIdentifier(client.loop), default: (client.loop, [])].1.append(client) }
        for (_, (loop, group)) in byLoop {
            loop.runOrExecute { for client in group { client.value.shutdown() } }
        }
    }
}

/// The Socket.IO side of one Engine.IO connection: decodes its messages, holds its socket per namespace, enforces the
/// connect timeout. Loop-confined.
final class SocketIOClient: EngineConnectionHandler {
    let conn: EngineConnection
    let server: SocketIOServer
    private var decoder: SocketIODecoder
    /// Connected sockets by namespace name.
    private var sockets = SocketsByNamespace()
    /// Namespaces whose CONNECT is being processed (middlewares running).
    private var pending: Set<String> = []
    private var connectTimer: LoopTimer?
    private(set) var isOpen = true

    init(conn: EngineConnection, server: SocketIOServer) {
        self.conn = conn
        self.server = server
        decoder = SocketIODecoder(limits: server.decoderLimits)
    }

    func start() {
        // Unowned: cancelled when the client finishes, and the server's table keeps the client until then.
        connectTimer = conn.loop.scheduleTimer(afterMs: server.options.connectTimeoutMs) { [unowned self] in
            connectTimer = nil
            if sockets.isEmpty { close() }
        }
    }

    // MARK: Engine → Socket.IO

    func receive(_ message: EngineMessage) {
        guard isOpen else { return }
        let decoded: SocketIOPacket?
        do {
            decoded = try decoder.add(message)
        } catch {
            finish(reason: "parse error", closeTransport: true)
            return
        }
        // Moved, not copied (an `if let` would keep a second reference to the arguments for the call's duration).
        guard let packet = consume decoded else { return }
        onDecoded(packet)
    }

    func closed(reason: String) { finish(reason: reason, closeTransport: false) }

    /// The packet is handed down owned (here and in the socket), so that an event's argument array is not shared and
    /// dropping its name does not copy it.
    private func onDecoded(_ packet: consuming SocketIOPacket) {
        let socket = sockets[packet.nsp]
        if socket == nil && packet.type == .connect {
            guard !pending.contains(packet.nsp) else {
                close()
                return
            }
            connect(packet.nsp, auth: packet.data?.objectValue ?? [:])
        } else if let socket, packet.type != .connect && packet.type != .connectError {
            socket.onPacket(consume packet)
        } else if socket == nil && pending.contains(packet.nsp) && packet.type != .connect && packet.type != .connectError {
            return  // a packet racing the middlewares of its namespace: dropped
        } else {
            close()  // as official: CONNECT twice, CONNECT_ERROR from a client, or a packet for a namespace never joined
        }
    }

    private func connect(_ name: String, auth: JSONObject) {
        guard let namespace = server.namespace(for: name, auth: auth) else {
            write(SocketIOPacket(type: .connectError, nsp: name, data: ["message": "Invalid namespace"]))
            return
        }
        pending.insert(name)
        namespace.add(client: self, auth: auth) { [self] socket in
            finishPending(name)
            sockets[name] = socket
            if let timer = connectTimer {
                conn.loop.cancel(timer)
                connectTimer = nil
            }
        }
    }

    /// An emptied set keeps its storage: dropped here, as nearly every client ends with nothing pending for its life.
    private func finishPending(_ name: String) {
        pending.remove(name)
        if pending.isEmpty { pending = [] }
    }

    // MARK: Socket.IO → Engine

    func write(_ packet: SocketIOPacket, volatile: Bool = false) {
        guard isOpen else { return }
        // A middleware refused: the namespace may be asked for again.
        if packet.type == .connectError { finishPending(packet.nsp) }
        if volatile && !conn.isWritable { return }
        // The common packet (no attachments) is encoded straight into the outgoing frame.
        if packet.attachments.isEmpty { return conn.sendText { packet.encodeHeader(into: &$0) } }
        for message in packet.encode() { conn.send(message) }
    }

    func write(shared messages: [SharedEngineMessage], volatile: Bool) {
        guard isOpen else { return }
        if volatile && !conn.isWritable { return }
        for message in messages { conn.send(prepared: message) }
    }

    func remove(_ socket: SocketIOSocket) {
        if let current = sockets[socket.nsp], current === socket { sockets[socket.nsp] = nil }
    }

    // MARK: Closing

    /// `socket.disconnect(true)`: every socket leaves ("server namespace disconnect"), then the connection closes.
    func disconnectAll() {
        for socket in Array(sockets.values) { socket.disconnect() }
        sockets.removeAll()
        close()
    }

    /// Closes the connection from this side ("forced server close" for the sockets still connected).
    func close() { finish(reason: "forced server close", closeTransport: true) }

    /// Server shutdown: sockets first get "server shutting down".
    func shutdown() {
        for socket in Array(sockets.values) { socket.onClose(reason: "server shutting down") }
        close()
    }

    private func finish(reason: String, closeTransport: Bool) {
        guard isOpen else { return }
        isOpen = false
        if let timer = connectTimer {
            conn.loop.cancel(timer)
            connectTimer = nil
        }
        if closeTransport { conn.close() }
        for socket in Array(sockets.values) { socket.onClose(reason: reason) }
        sockets.removeAll()
        pending.removeAll()
        decoder.reset()
        server.unregister(self)
    }
}

/// A client's sockets by namespace: nearly always exactly one, held inline (no allocation for the connection's life);
/// the others in a short array, scanned (no hashing). The socket knows its namespace's name.
struct SocketsByNamespace {
    private var first: SocketIOSocket?
    private var rest: [SocketIOSocket] = []

    var isEmpty: Bool { first == nil }
    var values: [SocketIOSocket] { first.map { [$0] + rest } ?? [] }

    subscript(nsp: String) -> SocketIOSocket? {
        get {
            if let first, first.nsp == nsp { return first }
            return rest.first { $0.nsp == nsp }
        }
        set {
            if let first, first.nsp == nsp {
                if let newValue { self.first = newValue } else { self.first = rest.isEmpty ? nil : rest.removeFirst() }
            } else if let i = rest.firstIndex(where: { $0.nsp == nsp }) {
                if let newValue { rest[i] = newValue } else { rest.remove(at: i) }
            } else if let newValue {
                if first == nil { first = newValue } else { rest.append(newValue) }
            }
            if rest.isEmpty && rest.capacity > 0 { rest = [] }
        }
    }

    mutating func removeAll() {
        first = nil
        rest = []
    }
}
