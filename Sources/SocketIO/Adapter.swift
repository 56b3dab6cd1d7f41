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

/// Rooms in memory, for one server process: the members of each room by loop, `sids: [SocketID: [Room]]` under one lock,
/// and, when connection state recovery is on, the sessions of disconnected sockets and the broadcast packets of the last
/// `maxDisconnectionDurationMs`.
public final class InMemoryAdapter: SocketIOAdapter {
    public let namespace: SocketIONamespace

    /// The named rooms of the sockets of one loop, each member with its socket's handle.
    private struct LoopRooms {
        let loop: EventLoop
        var rooms: [Room: [SocketID: SocketIOSocketHandle]] = [:]
    }

    private struct Rooms {
        /// Named rooms by loop, so that a broadcast hands each loop its members' table as it is, instead of looking every
        /// member's id up (a hash of the id per recipient was 15% of a fan-out's cost) or sorting members by loop. Only
        /// sockets connected here are in it; a socket's own room (its id) is not stored: every socket is in it from
        /// connect until it leaves it, so `sids` implies it — a table and an entry fewer per idle socket.
        var loops: [LoopRooms] = []
        /// Every socket, with its named rooms (its own room not included). A short array rather than a set: a socket is
        /// in a few rooms, and a one-element set costs twice the memory of a one-element array, per idle socket.
        var sids: [SocketID: [Room]] = [:]
        /// Sockets that left their own room (`socket.leave(socket.id)`: rare).
        var leftOwnRoom: Set<SocketID> = []
        /// Sockets that joined rooms before they were connected here (a middleware's `join`, a restored session's rooms):
        /// their rooms are in `sids` only until their connection adds them to `loops` (rare, and then short-lived).
        var notConnected: Set<SocketID> = []

        func inOwnRoom(_ id: SocketID) -> Bool { sids[id] != nil && !leftOwnRoom.contains(id) }

        /// `handle` is nil for a socket not connected here yet.
        mutating func add(_ id: SocketID, _ handle: SocketIOSocketHandle?, rooms joined: some Sequence<Room>) {
            if sids[id] == nil { sids[id] = [] }
            let k = handle.map { loopIndex($0.loop) }
            for room in joined {
                if room == id {
                    leftOwnRoom.remove(id)
                    continue
                }
                if !sids[id]!.contains(room) { sids[id]!.append(room) }
                if let handle, let k { loops[k].rooms[room, default: [:]][id] = handle } else { notConnected.insert(id) }
            }
            // Connected now (its connection joins its own room): the rooms it joined before get it too.
            if let handle, let k, !notConnected.isEmpty, notConnected.remove(id) != nil {
                for room in sids[id]! { loops[k].rooms[room, default: [:]][id] = handle }
            }
        }

        private mutating func loopIndex(_ loop: EventLoop) -> Int {
            if let k = loops.firstIndex(where: { $0.loop === loop }) { return k }
            loops.append(LoopRooms(loop: loop))
            return loops.count - 1
        }

        /// A few loops to try: the socket's own is not known here, and a lookup per loop is cheaper than keeping it.
        mutating func remove(_ id: SocketID, from room: Room) {
            for k in loops.indices {
                guard loops[k].rooms[room]?.removeValue(forKey: id) != nil else { continue }
                if loops[k].rooms[room]!.isEmpty { loops[k].rooms[room] = nil }
                return
            }
        }

        /// The members of `room` by loop: those who joined it by name, and the socket whose own room it is (looked up in
        /// `namespace`, which the caller's lock allows: the namespace never calls the adapter under its own lock).
        func members(_ room: Room, in namespace: SocketIONamespace) -> [SocketIORecipients.Group] {
            var groups: [SocketIORecipients.Group] = []
            for loopRooms in loops {
                if let named = loopRooms.rooms[room] { groups.append((loopRooms.loop, .table(named))) }
            }
            guard inOwnRoom(room), let own = namespace.handle(room) else { return groups }
            // The socket whose room it is, with those who joined it by name (rare).
            if let k = groups.firstIndex(where: { $0.loop === own.loop }), case .table(let named) = groups[k].members {
                groups[k].members = .list(Array(named.values) + [own])
            } else {
                groups.append((own.loop, .list([own])))
            }
            return groups
        }

        func exclusion(_ except: Set<Room>, in namespace: SocketIONamespace) -> SocketIOExclusion {
            var excluded = SocketIOExclusion()
            for room in except {
                for group in members(room, in: namespace) { group.members.forEach { excluded.insert($0) } }
            }
            return excluded
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
        // The handle is looked up under the adapter's lock, so that a socket connecting meanwhile either is found here or
        // finds these rooms in `sids` when its own join moves them into `rooms`.
        state.withLock { s in s.add(id, namespace.handle(id), rooms: rooms) }
    }

    public func del(_ id: SocketID, room: Room) {
        state.withLock { s in
            if room == id {
                if s.sids[id] != nil { s.leftOwnRoom.insert(id) }
            } else {
                s.sids[id]?.removeAll { $0 == room }
                s.remove(id, from: room)
            }
        }
    }

    public func delAll(_ id: SocketID) {
        state.withLock { s in
            guard let rooms = s.sids.removeValue(forKey: id) else { return }
            s.leftOwnRoom.remove(id)
            s.notConnected.remove(id)
            for room in rooms { s.remove(id, from: room) }
        }
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
            let named = Set(s.sids.values.joined())
            return named.count + s.sids.keys.count { !s.leftOwnRoom.contains($0) && !named.contains($0) }
        }
    }

    /// The sockets of this server addressed by `options`, as the official `apply`: members of any room (or every socket),
    /// minus the members of excluded rooms. One room, the usual broadcast, is its members' tables as they are.
    func recipients(_ options: SocketIOBroadcastOptions) -> SocketIORecipients {
        if options.rooms.isEmpty {
            let excluded = state.withLock { s in s.exclusion(options.except, in: namespace) }
            return SocketIORecipients(namespace.handles(), excluding: excluded)
        }
        return state.withLock { s in
            let excluded = s.exclusion(options.except, in: namespace)
            if options.rooms.count == 1 {
                return SocketIORecipients(s.members(options.rooms.first!, in: namespace), excluding: excluded)
            }
            // Several rooms: each socket once.
            var seen: Set<ObjectIdentifier> = []
            var handles: [SocketIOSocketHandle] = []
            for room in options.rooms {
                for group in s.members(room, in: namespace) {
                    group.members.forEach { if seen.insert($0.identity).inserted { handles.append($0) } }
                }
            }
            return SocketIORecipients(handles, excluding: excluded)
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
        namespace.deliver(messages, to: recipients(options), volatile: options.flags.volatile)
    }

    public func broadcastWithAck(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions,
                                 clientCount: @escaping @Sendable (Int) -> Void,
                                 ack: @escaping @Sendable (SocketIOArguments) -> Void) {
        var packet = packet
        let id = namespace.nextAckID()
        packet.id = id
        let messages = packet.encodeShared()
        let handles = recipients(options).handles
        let volatile = options.flags.volatile
        clientCount(handles.count)
        SocketIONamespace.forEach(handles) { socket in
            socket.registerAck(id) { args in ack(args) }
            socket.client.write(shared: messages, volatile: volatile)
        }
    }

    public func sockets(_ rooms: Set<Room>, completion: @escaping @Sendable (Set<SocketID>) -> Void) {
        let handles = recipients(SocketIOBroadcastOptions(rooms: rooms)).handles
        completion(Set(handles.map(\.id)))
    }

    public func fetchSockets(_ options: SocketIOBroadcastOptions, completion: @escaping @Sendable ([SocketIORemoteSocket]) -> Void) {
        let handles = recipients(options).handles
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
        let handles = recipients(options).handles
        state.withLock { s in for handle in handles { s.add(handle.id, handle, rooms: rooms) } }
    }

    public func delSockets(_ options: SocketIOBroadcastOptions, rooms: [Room]) {
        for handle in recipients(options).handles {
            for room in rooms { del(handle.id, room: room) }
        }
    }

    public func disconnectSockets(_ options: SocketIOBroadcastOptions, close: Bool) {
        SocketIONamespace.forEach(recipients(options)) { $0.disconnect(close: close) }
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
