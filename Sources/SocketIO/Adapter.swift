import EventLoop
import GatewayProtocol
import Synchronization

/// A disconnected socket's state, kept for connection state recovery.
public struct SocketIOSession: Sendable {
    public var sid: SocketID
    public var pid: String
    public var rooms: [Room]
    public var data: JSONObject
    public init(sid: SocketID, pid: String, rooms: [Room], data: JSONObject) {
        self.sid = sid
        self.pid = pid
        self.rooms = rooms
        self.data = data
    }
}

/// A restored session and the packets the socket missed, already encoded for its namespace.
public struct SocketIORestoredSession: Sendable {
    public var session: SocketIOSession
    public var missedPackets: [[SharedEngineMessage]]
}

/// What `fetchSockets` returns: a snapshot of a socket, with operations that address it by id (so they work for a socket on
/// another loop, or, with a cluster adapter, another server).
public struct SocketIORemoteSocket: Sendable {
    public let id: SocketID
    public let handshake: SocketIOHandshake
    public let rooms: Set<Room>
    public let data: JSONObject
    public let namespace: SocketIONamespace

    private var only: SocketIOBroadcastOperator { SocketIOBroadcastOperator(namespace: namespace, rooms: [id]) }
    public func emit(_ event: String, _ args: JSONValue...) { only.emit(event, arguments: SocketIOArguments(args)) }
    public func emit(_ event: String, arguments: SocketIOArguments) { only.emit(event, arguments: arguments) }
    public func join(_ rooms: Room...) { only.socketsJoin(rooms) }
    public func leave(_ rooms: Room...) { only.socketsLeave(rooms) }
    public func disconnect(close: Bool = false) { only.disconnectSockets(close: close) }
}

/// The room bookkeeping and fan-out of one namespace: the boundary where a cluster adapter (Redis, …) plugs in. Every member
/// may be called from any thread. Completions may run on any thread.
///
/// An adapter reaches the sockets of this server through its namespace: `namespace.localSockets(_:)` turns ids into handles,
/// `SocketIONamespace.deliver(_:to:)` writes one encoded packet to many sockets, one `execute` per loop.
public protocol SocketIOAdapter: AnyObject, Sendable {
    func addAll(_ id: SocketID, rooms: Set<Room>)
    func del(_ id: SocketID, room: Room)
    func delAll(_ id: SocketID)
    /// Sends `packet` (an EVENT, its `nsp` already set) to the addressed sockets, encoding it once.
    func broadcast(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions)
    /// The same, expecting an ack from each recipient: `clientCount` is called once per server with the number of sockets
    /// the packet went to, `ack` once per answer.
    func broadcastWithAck(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions,
                          clientCount: @escaping @Sendable (Int) -> Void,
                          ack: @escaping @Sendable (SocketIOArguments) -> Void)
    /// Ids of the sockets in any of `rooms` (all when empty).
    func sockets(_ rooms: Set<Room>, completion: @escaping @Sendable (Set<SocketID>) -> Void)
    func socketRooms(_ id: SocketID) -> Set<Room>?
    func fetchSockets(_ options: SocketIOBroadcastOptions, completion: @escaping @Sendable ([SocketIORemoteSocket]) -> Void)
    func addSockets(_ options: SocketIOBroadcastOptions, rooms: [Room])
    func delSockets(_ options: SocketIOBroadcastOptions, rooms: [Room])
    func disconnectSockets(_ options: SocketIOBroadcastOptions, close: Bool)
    func serverCount(completion: @escaping @Sendable (Int) -> Void)
    func persistSession(_ session: SocketIOSession)
    func restoreSession(pid: String, offset: String, completion: @escaping @Sendable (SocketIORestoredSession?) -> Void)
}

/// Rooms in memory, for one server process: `rooms: [Room: Set<SocketID>]` and `sids: [SocketID: [Room]]` under one lock,
/// and, when connection state recovery is on, the sessions of disconnected sockets and the broadcast packets of the last
/// `maxDisconnectionDurationMs`.
public final class InMemoryAdapter: SocketIOAdapter {
    public let namespace: SocketIONamespace

    private struct Rooms {
        /// Named rooms and their members. A socket's own room (its id) is not stored: every socket is in it from
        /// connect until it leaves it, so `sids` implies it — a set and a table entry fewer per idle socket.
        var rooms: [Room: Set<SocketID>] = [:]
        /// Every socket, with its named rooms (its own room not included). A short array rather than a set: a socket is
        /// in a few rooms, and a one-element set costs twice the memory of a one-element array, per idle socket.
        var sids: [SocketID: [Room]] = [:]
        /// Sockets that left their own room (`socket.leave(socket.id)`: rare).
        var leftOwnRoom: Set<SocketID> = []

        func inOwnRoom(_ id: SocketID) -> Bool { sids[id] != nil && !leftOwnRoom.contains(id) }

        /// The members of `room`: those who joined it by name, and the socket whose own room it is.
        func members(_ room: Room) -> Set<SocketID>? {
            let own = inOwnRoom(room)
            if var named = rooms[room] {
                if own { named.insert(room) }
                return named
            }
            return own ? [room] : nil
        }
    }
    private let state = Mutex(Rooms())

    private struct StoredPacket {
        let offset: String
        let emittedAtMs: UInt64
        let options: SocketIOBroadcastOptions
        let messages: [SharedEngineMessage]
    }
    private struct StoredSession {
        let session: SocketIOSession
        let disconnectedAtMs: UInt64
    }
    private struct Recovery {
        var sessions: [String: StoredSession] = [:]
        var packets: [StoredPacket] = []
        var head = 0  // packets before `head` have expired
        var nextOffset: UInt64 = 0
        var lastPruneMs: UInt64 = 0
    }
    private let recovery = Mutex(Recovery())
    private let recoveryOptions: SocketIOStateRecovery?
    private let clockMs: @Sendable () -> UInt64
    /// Offsets are "<random prefix>-<counter>": unique to this process run.
    private let offsetPrefix: String

    public init(namespace: SocketIONamespace) {
        self.namespace = namespace
        self.recoveryOptions = namespace.server.options.connectionStateRecovery
        self.clockMs = namespace.server.options.clockMs
        self.offsetPrefix = String(SocketIOIDs.random().prefix(8))
    }

    // MARK: Rooms

    public func addAll(_ id: SocketID, rooms: Set<Room>) {
        state.withLock { s in
            if s.sids[id] == nil { s.sids[id] = [] }
            for room in rooms {
                if room == id {
                    s.leftOwnRoom.remove(id)
                } else {
                    if !s.sids[id]!.contains(room) { s.sids[id]!.append(room) }
                    s.rooms[room, default: []].insert(id)
                }
            }
        }
    }

    public func del(_ id: SocketID, room: Room) {
        state.withLock { s in
            if room == id {
                if s.sids[id] != nil { s.leftOwnRoom.insert(id) }
            } else {
                s.sids[id]?.removeAll { $0 == room }
                Self.remove(id, from: room, in: &s)
            }
        }
    }

    public func delAll(_ id: SocketID) {
        state.withLock { s in
            guard let rooms = s.sids.removeValue(forKey: id) else { return }
            s.leftOwnRoom.remove(id)
            for room in rooms { Self.remove(id, from: room, in: &s) }
        }
    }

    private static func remove(_ id: SocketID, from room: Room, in s: inout Rooms) {
        guard var members = s.rooms[room] else { return }
        members.remove(id)
        s.rooms[room] = members.isEmpty ? nil : members
    }

    public func socketRooms(_ id: SocketID) -> Set<Room>? {
        state.withLock { s in
            guard let named = s.sids[id] else { return nil }
            var rooms = Set(named)
            if !s.leftOwnRoom.contains(id) { rooms.insert(id) }
            return rooms
        }
    }

    /// Number of rooms (including each socket's own room).
    public var roomCount: Int {
        state.withLock { s in
            s.rooms.count + s.sids.keys.count { !s.leftOwnRoom.contains($0) && s.rooms[$0] == nil }
        }
    }

    /// The ids addressed by `options`, as the official `apply`: members of any room (or every socket), minus excluded rooms.
    public func matchingIDs(_ options: SocketIOBroadcastOptions) -> [SocketID] {
        state.withLock { s in
            var except: Set<SocketID> = []
            for room in options.except { if let members = s.members(room) { except.formUnion(members) } }
            if options.rooms.isEmpty {
                return s.sids.keys.filter { !except.contains($0) }
            }
            // One socket's own room (an emit to a socket id): no set to build.
            if options.rooms.count == 1, let room = options.rooms.first, s.rooms[room] == nil {
                return s.inOwnRoom(room) && !except.contains(room) ? [room] : []
            }
            if options.rooms.count == 1, let members = s.members(options.rooms.first!) {
                return except.isEmpty ? Array(members) : members.filter { !except.contains($0) }
            }
            var seen: Set<SocketID> = []
            var ids: [SocketID] = []
            for room in options.rooms {
                guard let members = s.members(room) else { continue }
                for id in members where !except.contains(id) && seen.insert(id).inserted { ids.append(id) }
            }
            return ids
        }
    }

    // MARK: Fan-out

    public func broadcast(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions) {
        var packet = packet
        var offset: String?
        if recoveryOptions != nil, packet.type == .event, packet.id == nil, !options.flags.volatile {
            // Connection state recovery: the offset goes last in the arguments, and the packet is kept.
            let next = recovery.withLock { r -> UInt64 in
                r.nextOffset += 1
                return r.nextOffset
            }
            let value = offsetPrefix + "-" + String(next, radix: 36)
            offset = value
            if case .array(var elements)? = packet.data {
                packet.data = nil
                elements.append(.string(value))
                packet.data = .array(elements)
            }
        }
        let messages = packet.encodeShared()
        if let offset { store(StoredPacket(offset: offset, emittedAtMs: clockMs(), options: options, messages: messages)) }
        namespace.deliver(messages, to: namespace.localSockets(matchingIDs(options)), volatile: options.flags.volatile)
    }

    public func broadcastWithAck(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions,
                                 clientCount: @escaping @Sendable (Int) -> Void,
                                 ack: @escaping @Sendable (SocketIOArguments) -> Void) {
        var packet = packet
        let id = namespace.nextAckID()
        packet.id = id
        let messages = packet.encodeShared()
        let handles = namespace.localSockets(matchingIDs(options))
        let volatile = options.flags.volatile
        clientCount(handles.count)
        SocketIONamespace.forEach(handles) { socket in
            socket.registerAck(id) { args in ack(args) }
            socket.client.write(shared: messages, volatile: volatile)
        }
    }

    public func sockets(_ rooms: Set<Room>, completion: @escaping @Sendable (Set<SocketID>) -> Void) {
        let handles = namespace.localSockets(matchingIDs(SocketIOBroadcastOptions(rooms: rooms)))
        completion(Set(handles.map(\.id)))
    }

    public func fetchSockets(_ options: SocketIOBroadcastOptions, completion: @escaping @Sendable ([SocketIORemoteSocket]) -> Void) {
        let handles = namespace.localSockets(matchingIDs(options))
        guard !handles.isEmpty else {
            completion([])
            return
        }
        // `data` lives on each socket's loop: each loop snapshots its own, the last one to finish completes.
        let collected = Mutex<(remaining: Int, sockets: [SocketIORemoteSocket])>((handles.count, []))
        let namespace = self.namespace
        SocketIONamespace.forEach(handles, includeDisconnected: true) { socket in
            let snapshot = SocketIORemoteSocket(id: socket.id, handshake: socket.handshake, rooms: socket.rooms,
                                                data: socket.data, namespace: namespace)
            let done = collected.withLock { c -> [SocketIORemoteSocket]? in
                if socket.connected { c.sockets.append(snapshot) }
                c.remaining -= 1
                return c.remaining == 0 ? c.sockets : nil
            }
            if let done { completion(done) }
        }
    }

    public func addSockets(_ options: SocketIOBroadcastOptions, rooms: [Room]) {
        let set = Set(rooms)
        for handle in namespace.localSockets(matchingIDs(options)) { addAll(handle.id, rooms: set) }
    }

    public func delSockets(_ options: SocketIOBroadcastOptions, rooms: [Room]) {
        for handle in namespace.localSockets(matchingIDs(options)) {
            for room in rooms { del(handle.id, room: room) }
        }
    }

    public func disconnectSockets(_ options: SocketIOBroadcastOptions, close: Bool) {
        SocketIONamespace.forEach(namespace.localSockets(matchingIDs(options))) { $0.disconnect(close: close) }
    }

    public func serverCount(completion: @escaping @Sendable (Int) -> Void) { completion(1) }

    // MARK: Connection state recovery

    private func store(_ packet: StoredPacket) {
        recovery.withLock { r in
            r.packets.append(packet)
            prune(&r, now: packet.emittedAtMs)
        }
    }

    /// Drops expired sessions and packets, at most once a second.
    private func prune(_ r: inout Recovery, now: UInt64) {
        guard let options = recoveryOptions, now >= r.lastPruneMs + 1000 || r.lastPruneMs == 0 else { return }
        r.lastPruneMs = now
        let threshold = now > options.maxDisconnectionDurationMs ? now - options.maxDisconnectionDurationMs : 0
        while r.head < r.packets.count, r.packets[r.head].emittedAtMs < threshold { r.head += 1 }
        if r.head > 64 && r.head * 2 > r.packets.count {
            r.packets.removeFirst(r.head)
            r.head = 0
        }
        r.sessions = r.sessions.filter { $0.value.disconnectedAtMs >= threshold }
    }

    public func persistSession(_ session: SocketIOSession) {
        guard recoveryOptions != nil else { return }
        let now = clockMs()
        recovery.withLock { r in
            r.sessions[session.pid] = StoredSession(session: session, disconnectedAtMs: now)
            prune(&r, now: now)
        }
    }

    public func restoreSession(pid: String, offset: String, completion: @escaping @Sendable (SocketIORestoredSession?) -> Void) {
        guard let options = recoveryOptions else {
            completion(nil)
            return
        }
        let now = clockMs()
        let restored = recovery.withLock { r -> SocketIORestoredSession? in
            guard let stored = r.sessions[pid] else { return nil }
            if stored.disconnectedAtMs + options.maxDisconnectionDurationMs < now {
                r.sessions[pid] = nil
                return nil
            }
            guard let index = r.packets[r.head...].firstIndex(where: { $0.offset == offset }) else { return nil }
            // One restore per session: a later reconnection brings the session it persisted then.
            r.sessions[pid] = nil
            let rooms = stored.session.rooms
            var missed: [[SharedEngineMessage]] = []
            for packet in r.packets[(index + 1)...] where Self.shouldInclude(rooms: rooms, packet.options) {
                missed.append(packet.messages)
            }
            return SocketIORestoredSession(session: stored.session, missedPackets: missed)
        }
        completion(restored)
    }

    private static func shouldInclude(rooms: [Room], _ options: SocketIOBroadcastOptions) -> Bool {
        let included = options.rooms.isEmpty || rooms.contains { options.rooms.contains($0) }
        let excluded = rooms.contains { options.except.contains($0) }
        return included && !excluded
    }
}
