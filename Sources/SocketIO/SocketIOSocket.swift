import EventLoop
import GatewayProtocol

/// How a socket-level `emitWithAck` ended.
public enum SocketIOAckResult: Sendable, Equatable {
    case ack(SocketIOArguments)
    /// "operation has timed out"
    case timeout
}

/// Answers one event that asked for an acknowledgement; only the first call sends.
public final class SocketIOAck {
    /// Strong: an answer may come after the socket left; it is then sent as the official server does (the client's
    /// connection decides). A weak reference would give every socket that is asked for an ack a side table.
    let socket: SocketIOSocket
    public let id: Int
    public private(set) var sent = false

    init(socket: SocketIOSocket, id: Int) {
        self.socket = socket
        self.id = id
    }

    public func callAsFunction(_ args: JSONValue...) { send(SocketIOArguments(args)) }

    public func send(_ arguments: SocketIOArguments) {
        guard !sent else { return }
        sent = true
        socket.client.write(SocketIOPacket(type: .ack, nsp: socket.namespace.name, id: id, data: .array(arguments.values),
                                            attachments: arguments.attachments))
    }
}

public typealias SocketIOEventHandler = (SocketIOArguments, SocketIOAck?) -> Void

/// Hears all of one socket's events and its disconnection, before the `onAny` and `onDisconnect` closures: for a server
/// that wires every socket the same way, one object per socket where each stored closure costs an allocation of its own.
public protocol SocketIOSocketListener: AnyObject {
    func socket(_ socket: SocketIOSocket, received event: String, _ arguments: SocketIOArguments, ack: SocketIOAck?)
    func socket(_ socket: SocketIOSocket, disconnected reason: String)
}

/// One client's membership of one namespace. Confined to its connection's loop: use it there only (handlers run there);
/// from elsewhere, address it by id through the namespace (`namespace.to(socket.id)`).
public final class SocketIOSocket {
    public let id: SocketID
    public let namespace: SocketIONamespace
    public var nsp: String { namespace.name }
    public var loop: EventLoop { client.conn.loop }
    /// The CONNECT packet's payload. Server code may trim it (the gateway drops a verified bearer token).
    public var auth: JSONObject
    /// Built when asked for: only `auth` is the socket's own, the rest is its connection's.
    public var handshake: SocketIOHandshake { SocketIOHandshake(engine: client.conn.engineHandshake, auth: auth) }
    /// Application state (kept across a recovered reconnection).
    public var data: JSONObject = [:]
    public private(set) var connected = false
    public var disconnected: Bool { !connected }
    /// True when the connection state recovery restored this socket (id, rooms, data, missed packets).
    public let recovered: Bool
    /// The private session id (connection state recovery only).
    let pid: String?

    /// Strong, without a cycle for long: the client drops its sockets when it closes or when one leaves.
    let client: SocketIOClient
    /// Held until the socket is gone (see `dropHandlers`).
    public var listener: SocketIOSocketListener?
    /// Made by the first closure registered: a socket served through its `listener` (every gateway socket) carries
    /// none of these.
    private final class Closures {
        var byEvent: [String: [SocketIOEventHandler]] = [:]
        var any: [(String, SocketIOArguments, SocketIOAck?) -> Void] = []
        var disconnecting: [(String) -> Void] = []
        var disconnect: [(String) -> Void] = []
    }
    private var closureStorage: Closures?
    private var closures: Closures {
        if let closureStorage { return closureStorage }
        let made = Closures()
        closureStorage = made
        return made
    }
    private var acks: [Int: (SocketIOArguments) -> Void] = [:]
    private var cleanedUp = false

    init(namespace: SocketIONamespace, client: SocketIOClient, auth: JSONObject, restored: SocketIORestoredSession?) {
        self.namespace = namespace
        self.client = client
        self.auth = auth.exactlySized
        let options = namespace.server.options
        if let restored {
            id = restored.session.sid
            pid = restored.session.pid
            recovered = true
            data = restored.session.data
            namespace.adapter.addAll(id, rooms: Set(restored.session.rooms))
            // As official: the missed packets go out before the CONNECT reply (the client buffers them until connected).
            for packet in restored.missedPackets { client.write(shared: packet, volatile: false) }
        } else {
            id = options.generateID()
            pid = options.connectionStateRecovery != nil ? options.generateID() : nil
            recovered = false
        }
    }

    // MARK: Listening

    /// Listens to `event`; `ack` is non-nil when the client asked for an acknowledgement.
    public func on(_ event: String, _ handler: @escaping SocketIOEventHandler) {
        closures.byEvent[event, default: []].append(handler)
    }

    /// Catch-all: every incoming event, before its own handlers.
    public func onAny(_ handler: @escaping (String, SocketIOArguments, SocketIOAck?) -> Void) { closures.any.append(handler) }

    /// Before the socket leaves its rooms (they are still readable).
    public func onDisconnecting(_ handler: @escaping (String) -> Void) { closures.disconnecting.append(handler) }

    /// After the socket disconnected, with the reason.
    public func onDisconnect(_ handler: @escaping (String) -> Void) { closures.disconnect.append(handler) }

    // MARK: Rooms

    public var rooms: Set<Room> { namespace.adapter.socketRooms(id) ?? [] }

    public func join(_ rooms: Room...) { join(rooms) }
    public func join(_ rooms: [Room]) {
        guard !cleanedUp else { return }
        namespace.adapter.addAll(id, rooms: Set(rooms))
    }

    public func leave(_ room: Room) { namespace.adapter.del(id, room: room) }

    // MARK: Emitting

    /// Sends an event to this client. False (nothing sent) for a reserved event name.
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Bool { emit(event, arguments: SocketIOArguments(args)) }

    @discardableResult
    public func emit(_ event: String, arguments: SocketIOArguments, volatile: Bool = false) -> Bool {
        guard !SocketIOPacket.isReserved(event) else { return false }
        if namespace.server.options.connectionStateRecovery != nil {
            // As official: through the adapter, so that the packet gets an offset and is kept for recovery.
            var flags = SocketIOBroadcastFlags()
            flags.volatile = volatile
            namespace.adapter.broadcast(SocketIOBroadcastOperator.eventPacket(event, arguments, nsp: nsp),
                                        options: SocketIOBroadcastOptions(rooms: [id], flags: flags))
        } else {
            client.write(SocketIOBroadcastOperator.eventPacket(event, arguments, nsp: nsp), volatile: volatile)
        }
        return true
    }

    /// Sends an event asking for an acknowledgement; `callback` runs on this loop with the client's answer, or `.timeout`
    /// after `timeoutMs` (never, when nil).
    public func emitWithAck(_ event: String, arguments: SocketIOArguments = [], timeoutMs: UInt64? = nil,
                            _ callback: @escaping (SocketIOAckResult) -> Void) {
        guard !SocketIOPacket.isReserved(event) else { return }
        let ackID = namespace.nextAckID()
        var packet = SocketIOBroadcastOperator.eventPacket(event, arguments, nsp: nsp)
        packet.id = ackID
        if let timeoutMs {
            let timer = loop.scheduleTimer(afterMs: timeoutMs) { [self] in
                guard acks.removeValue(forKey: ackID) != nil else { return }
                callback(.timeout)
            }
            acks[ackID] = { [loop] args in
                loop.cancel(timer)
                callback(.ack(args))
            }
        } else {
            acks[ackID] = { args in callback(.ack(args)) }
        }
        client.write(packet)
    }

    func registerAck(_ ackID: Int, _ handler: @escaping (SocketIOArguments) -> Void) { acks[ackID] = handler }

    /// Every other socket of the namespace (or those in `rooms`), as official `socket.broadcast` / `socket.to`.
    public var broadcast: SocketIOBroadcastOperator { SocketIOBroadcastOperator(namespace: namespace, except: [id]) }
    public func to(_ rooms: Room...) -> SocketIOBroadcastOperator { broadcast.to(rooms) }
    public func `in`(_ rooms: Room...) -> SocketIOBroadcastOperator { broadcast.to(rooms) }
    public func except(_ rooms: Room...) -> SocketIOBroadcastOperator { broadcast.except(rooms) }

    // MARK: Disconnecting

    /// Leaves the namespace ("server namespace disconnect"); with `close`, closes the whole connection.
    public func disconnect(close: Bool = false) {
        guard connected else { return }
        if close {
            client.disconnectAll()
        } else {
            client.write(SocketIOPacket(type: .disconnect, nsp: nsp))
            onClose(reason: "server namespace disconnect")
        }
    }

    // MARK: From the client

    func onConnect() {
        connected = true
        join(id)
        var reply: JSONObject = ["sid": .string(id)]
        if let pid { reply["pid"] = .string(pid) }
        client.write(SocketIOPacket(type: .connect, nsp: nsp, data: .object(reply)))
    }

    func onPacket(_ packet: consuming SocketIOPacket) {
        switch packet.type {
        case .event, .binaryEvent: onEvent(consume packet)
        case .ack, .binaryAck:
            guard let ackID = packet.id, let handler = acks.removeValue(forKey: ackID) else { return }
            handler(SocketIOArguments(packet.data?.arrayValue ?? [], attachments: packet.attachments))
        case .disconnect: onClose(reason: "client namespace disconnect")
        case .connect, .connectError: return
        }
    }

    private func onEvent(_ packet: consuming SocketIOPacket) {
        guard case .array(var values)? = packet.data.take(), !values.isEmpty else { return }
        let event: String
        switch values.removeFirst() {
        case .string(let name): event = name
        case let number: event = number.description  // the parser lets a numeric event name through, as official
        }
        let arguments = SocketIOArguments(values, attachments: packet.attachments)
        let ack = packet.id.map { SocketIOAck(socket: self, id: $0) }
        listener?.socket(self, received: event, arguments, ack: ack)
        guard let closures = closureStorage else { return }
        for handler in closures.any { handler(event, arguments, ack) }
        guard connected, let list = closures.byEvent[event] else { return }
        for handler in list { handler(arguments, ack) }
    }

    /// The official `_onclose`: announce, keep the session for recovery when the reason allows, leave rooms, announce.
    func onClose(reason: String) {
        guard connected else { return }
        if let closures = closureStorage { for handler in closures.disconnecting { handler(reason) } }
        if let pid, Self.recoverableReasons.contains(reason) {
            namespace.adapter.persistSession(SocketIOSession(sid: id, pid: pid, rooms: Array(rooms), data: data))
        }
        cleanup()
        client.remove(self)
        connected = false
        listener?.socket(self, disconnected: reason)
        if let closures = closureStorage { for handler in closures.disconnect { handler(reason) } }
        dropHandlers()
    }

    /// Leaves every room and the namespace; later joins are ignored.
    func cleanup() {
        namespace.adapter.delAll(id)
        namespace.remove(self)
        cleanedUp = true
        if !connected { dropHandlers() }
    }

    /// A gone socket's handlers will not run again: dropping them ends the cycles they close (a handler that keeps its
    /// socket, as the gateway's session does) without weak references.
    private func dropHandlers() {
        listener = nil
        closureStorage = nil
    }

    static let recoverableReasons: Set<String> = [
        "transport error", "transport close", "forced close", "ping timeout", "server shutting down", "forced server close",
    ]
}
