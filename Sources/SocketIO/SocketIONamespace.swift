import EventLoop
import GatewayProtocol
import Synchronization

/// A connected socket as seen from other threads: its id and loop, and the socket itself for use on that loop only.
public struct SocketIOSocketHandle: @unchecked Sendable {
    /// Off its loop only its constants are read (id, loop); the socket itself is handed out on its loop only. One
    /// reference, as the namespace keeps a handle per connected socket (it kept id, loop and identity copies before).
    private let object: SocketIOSocket

    init(_ socket: SocketIOSocket) { object = socket }

    public var id: SocketID { object.id }
    public var loop: EventLoop { object.loop }
    var socket: SocketIOSocket {
        precondition(loop.isInLoop, "a socket was used off its loop")
        return object
    }
    func refers(to socket: SocketIOSocket) -> Bool { object === socket }
}

extension SocketIOSocketHandle {
    var identity: ObjectIdentifier { ObjectIdentifier(object) }

    /// The socket, for a caller that checked once for a whole group of sockets that it runs on their loop.
    var socketOnItsLoop: SocketIOSocket { object }
}

/// Calls `next()` to let a connection through a middleware, or `next(SocketIOConnectError(...))` to refuse it. May be called
/// from any thread (it hops to the socket's loop), once.
public struct SocketIONext: Sendable {
    final class State {
        var continuation: ((SocketIOConnectError?) -> Void)?
        init(_ continuation: @escaping (SocketIOConnectError?) -> Void) { self.continuation = continuation }
    }
    let state: LoopBound<State>

    public func callAsFunction(_ error: SocketIOConnectError? = nil) {
        let state = self.state
        state.loop.runOrExecute {
            let s = state.value
            guard let continuation = s.continuation else { return }
            s.continuation = nil
            continuation(error)
        }
    }
}

public typealias SocketIOMiddleware = @Sendable (SocketIOSocket, SocketIONext) -> Void
public typealias SocketIOConnectionHandler = @Sendable (SocketIOSocket) -> Void

/// A namespace (`/`, `/chat`, …): its middlewares and connection handlers (set up at start, run on each socket's loop), the
/// sockets connected to it on every loop, its adapter (rooms and fan-out), and the broadcast entry points. Thread-safe.
public final class SocketIONamespace: Sendable {
    public let name: String
    public let server: SocketIOServer
    /// Set once, in `init`, before the namespace is shared.
    public nonisolated(unsafe) private(set) var adapter: (any SocketIOAdapter)!

    private struct State {
        var middlewares: [SocketIOMiddleware] = []
        var connectionHandlers: [SocketIOConnectionHandler] = []
        var sockets: [SocketID: SocketIOSocketHandle] = [:]
    }
    private let state = Mutex(State())
    private let ackIDs = Atomic<Int>(0)

    init(name: String, server: SocketIOServer) {
        self.name = name
        self.server = server
        adapter = server.options.adapterFactory(self)
    }

    // MARK: Set-up

    /// Adds a middleware, run for every connection attempt in order of registration, on the socket's loop.
    public func use(_ middleware: @escaping SocketIOMiddleware) {
        state.withLock { $0.middlewares.append(middleware) }
    }

    /// `on("connection")`: called on the socket's loop once it is connected.
    public func onConnection(_ handler: @escaping SocketIOConnectionHandler) {
        state.withLock { $0.connectionHandlers.append(handler) }
    }

    var middlewares: [SocketIOMiddleware] { state.withLock { $0.middlewares } }

    // MARK: Sockets

    public var socketCount: Int { state.withLock { $0.sockets.count } }
    public var socketIDs: [SocketID] { state.withLock { Array($0.sockets.keys) } }

    /// The handles of the sockets of this server among `ids` (ids of sockets not connected here are skipped).
    public func localSockets(_ ids: some Sequence<SocketID>) -> [SocketIOSocketHandle] {
        state.withLock { s in
            var handles: [SocketIOSocketHandle] = []
            for id in ids { if let handle = s.sockets[id] { handles.append(handle) } }
            return handles
        }
    }

    /// The handle of a socket connected here.
    func handle(_ id: SocketID) -> SocketIOSocketHandle? { state.withLock { $0.sockets[id] } }

    /// The next ack id of this namespace (shared by its sockets and broadcasts, as official).
    public func nextAckID() -> Int { ackIDs.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// Runs `body` for each socket on its own loop: one `execute` per loop (inline for the calling loop, last). Sockets that
    /// disconnected meanwhile are skipped unless `includeDisconnected`.
    public static func forEach(_ handles: [SocketIOSocketHandle], includeDisconnected: Bool = false,
                               _ body: @escaping @Sendable (SocketIOSocket) -> Void) {
        forEach(SocketIORecipients(handles), includeDisconnected: includeDisconnected, body)
    }

    /// The same for what an adapter found, already grouped by loop: each loop walks its own group.
    static func forEach(_ recipients: SocketIORecipients, includeDisconnected: Bool = false,
                        _ body: @escaping @Sendable (SocketIOSocket) -> Void) {
        let excluded = recipients.excluded
        let run = { @Sendable (group: SocketIORecipients.Group) in
            SocketIORecipients.forEach(group.members, excluding: excluded, on: group.loop) { socket in
                if includeDisconnected || socket.connected { body(socket) }
            }
        }
        // Inline only when nothing handed to this loop earlier is still waiting: an emit must not overtake one
        // that another thread queued before it (a count 1 queued from a storage thread, then a count 2 from here).
        var local: SocketIORecipients.Group?
        for group in recipients.groups {
            if group.loop.isInLoop && !group.loop.hasPendingRemoteTasks {
                local = group
            } else {
                group.loop.execute { run(group) }
            }
        }
        if let local { run(local) }
    }

    /// Writes the same encoded packet to each socket, on its loop.
    public func deliver(_ messages: [SharedEngineMessage], to handles: [SocketIOSocketHandle], volatile: Bool) {
        deliver(messages, to: SocketIORecipients(handles), volatile: volatile)
    }

    func deliver(_ messages: [SharedEngineMessage], to recipients: SocketIORecipients, volatile: Bool) {
        Self.forEach(recipients) { socket in socket.client.write(shared: messages, volatile: volatile) }
    }

    // MARK: Broadcasting

    public var broadcastOperator: SocketIOBroadcastOperator { SocketIOBroadcastOperator(namespace: self) }
    public func to(_ rooms: Room...) -> SocketIOBroadcastOperator { broadcastOperator.to(rooms) }
    public func `in`(_ rooms: Room...) -> SocketIOBroadcastOperator { broadcastOperator.to(rooms) }
    public func except(_ rooms: Room...) -> SocketIOBroadcastOperator { broadcastOperator.except(rooms) }
    public var volatile: SocketIOBroadcastOperator { broadcastOperator.volatile }
    public var local: SocketIOBroadcastOperator { broadcastOperator.local }
    public func compress(_ compress: Bool) -> SocketIOBroadcastOperator { broadcastOperator.compress(compress) }
    public func timeout(_ ms: UInt64) -> SocketIOBroadcastOperator { broadcastOperator.timeout(ms) }

    /// Sends an event to every socket of the namespace. False for a reserved event name.
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Bool { broadcastOperator.emit(event, arguments: SocketIOArguments(args)) }
    @discardableResult
    public func emit(_ event: String, arguments: SocketIOArguments) -> Bool { broadcastOperator.emit(event, arguments: arguments) }

    public func emitWithAck(_ event: String, arguments: SocketIOArguments = [], on loop: EventLoop,
                            completion: @escaping @Sendable (SocketIOBroadcastAckResult) -> Void) {
        broadcastOperator.emitWithAck(event, arguments: arguments, on: loop, completion: completion)
    }

    public func fetchSockets(_ completion: @escaping @Sendable ([SocketIORemoteSocket]) -> Void) {
        broadcastOperator.fetchSockets(completion)
    }
    public func socketsJoin(_ rooms: Room...) { broadcastOperator.socketsJoin(rooms) }
    public func socketsLeave(_ rooms: Room...) { broadcastOperator.socketsLeave(rooms) }
    public func disconnectSockets(close: Bool = false) { broadcastOperator.disconnectSockets(close: close) }

    // MARK: Connecting (on the client's loop)

    /// A client asks to join: restore its session if it brings one, run the middlewares, then connect or refuse.
    func add(client: SocketIOClient, auth: JSONObject, connected: @escaping (SocketIOSocket) -> Void) {
        let loop = client.conn.loop
        if server.options.connectionStateRecovery != nil, let pid = auth["pid"]?.stringValue,
            let offset = auth["offset"]?.stringValue
        {
            let bound = LoopBound((client, connected), loop: loop)
            adapter.restoreSession(pid: pid, offset: offset) { restored in
                loop.runOrExecute {
                    let (client, connected) = bound.value
                    self.create(client: client, auth: auth, restored: restored, connected: connected)
                }
            }
        } else {
            create(client: client, auth: auth, restored: nil, connected: connected)
        }
    }

    private func create(client: SocketIOClient, auth: JSONObject, restored: SocketIORestoredSession?,
                        connected: @escaping (SocketIOSocket) -> Void) {
        guard client.isOpen else { return }
        let socket = SocketIOSocket(namespace: self, client: client, auth: auth, restored: restored)
        if socket.recovered, server.options.connectionStateRecovery?.skipMiddlewares == true {
            doConnect(socket, connected: connected)
            return
        }
        let middlewares = self.middlewares
        var run: ((Int) -> Void)!
        run = { index in
            guard client.isOpen else {
                socket.cleanup()
                run = nil
                return
            }
            if index == middlewares.count {
                run = nil
                self.doConnect(socket, connected: connected)
                return
            }
            let next = SocketIONext(state: LoopBound(SocketIONext.State { error in
                if let error {
                    run = nil
                    socket.cleanup()
                    client.write(SocketIOPacket(type: .connectError, nsp: self.name, data: error.payload))
                } else {
                    run?(index + 1)
                }
            }, loop: client.conn.loop))
            middlewares[index](socket, next)
        }
        run(0)
    }

    private func doConnect(_ socket: SocketIOSocket, connected: (SocketIOSocket) -> Void) {
        let handle = SocketIOSocketHandle(socket)
        let handlers = state.withLock { s -> [SocketIOConnectionHandler] in
            s.sockets[socket.id] = handle
            return s.connectionHandlers
        }
        socket.onConnect()
        connected(socket)
        for handler in handlers { handler(socket) }
    }

    func remove(_ socket: SocketIOSocket) {
        state.withLock { s in
            if let handle = s.sockets[socket.id], handle.refers(to: socket) { s.sockets[socket.id] = nil }
        }
    }

    func handles() -> [SocketIOSocketHandle] { state.withLock { Array($0.sockets.values) } }

    /// Copies a parent namespace's middlewares and handlers onto a new child.
    func inherit(middlewares: [SocketIOMiddleware], handlers: [SocketIOConnectionHandler]) {
        state.withLock { s in
            s.middlewares.append(contentsOf: middlewares)
            s.connectionHandlers.append(contentsOf: handlers)
        }
    }
}

/// A family of namespaces created on demand: a client asking for a namespace that does not exist gets it when `matches`
/// accepts the name (and the CONNECT auth). Middlewares and connection handlers registered here are copied onto each child
/// when it is created (as official); `emit` goes to every child.
public final class SocketIOParentNamespace: Sendable {
    let matches: @Sendable (String, JSONObject) -> Bool
    private struct State {
        var middlewares: [SocketIOMiddleware] = []
        var connectionHandlers: [SocketIOConnectionHandler] = []
        var children: [SocketIONamespace] = []
    }
    private let state = Mutex(State())

    init(matches: @escaping @Sendable (String, JSONObject) -> Bool) { self.matches = matches }

    public func use(_ middleware: @escaping SocketIOMiddleware) { state.withLock { $0.middlewares.append(middleware) } }
    public func onConnection(_ handler: @escaping SocketIOConnectionHandler) {
        state.withLock { $0.connectionHandlers.append(handler) }
    }
    public var children: [SocketIONamespace] { state.withLock { $0.children } }

    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Bool {
        var ok = true
        for child in children { ok = child.emit(event, arguments: SocketIOArguments(args)) && ok }
        return ok
    }

    func adopt(_ child: SocketIONamespace) {
        let (middlewares, handlers) = state.withLock { s in
            s.children.append(child)
            return (s.middlewares, s.connectionHandlers)
        }
        child.inherit(middlewares: middlewares, handlers: handlers)
    }
}
