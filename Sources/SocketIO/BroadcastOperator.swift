import EventLoop
import GatewayProtocol
import Synchronization

/// The answers to a broadcast `emitWithAck`: the arguments of each client's ack, in arrival order, and whether the timeout
/// struck first (then `responses` holds those that came in time), as the official `(err, responses)`.
public struct SocketIOBroadcastAckResult: Sendable {
    public var responses: [SocketIOArguments]
    public var timedOut: Bool
}

/// An immutable selection of sockets of one namespace, as the official `BroadcastOperator`: `to`/`in`/`except`/flags each
/// return a new operator. Usable from any thread.
public struct SocketIOBroadcastOperator: Sendable {
    public let namespace: SocketIONamespace
    public let rooms: Set<Room>
    public let exceptRooms: Set<Room>
    public let flags: SocketIOBroadcastFlags

    public init(namespace: SocketIONamespace, rooms: Set<Room> = [], except: Set<Room> = [],
                flags: SocketIOBroadcastFlags = SocketIOBroadcastFlags()) {
        self.namespace = namespace
        self.rooms = rooms
        self.exceptRooms = except
        self.flags = flags
    }

    private var options: SocketIOBroadcastOptions {
        SocketIOBroadcastOptions(rooms: rooms, except: exceptRooms, flags: flags)
    }

    public func to(_ rooms: Room...) -> SocketIOBroadcastOperator { to(rooms) }
    public func to(_ rooms: [Room]) -> SocketIOBroadcastOperator {
        SocketIOBroadcastOperator(namespace: namespace, rooms: self.rooms.union(rooms), except: exceptRooms, flags: flags)
    }
    public func `in`(_ rooms: Room...) -> SocketIOBroadcastOperator { to(rooms) }
    public func except(_ rooms: Room...) -> SocketIOBroadcastOperator { except(rooms) }
    public func except(_ rooms: [Room]) -> SocketIOBroadcastOperator {
        SocketIOBroadcastOperator(namespace: namespace, rooms: self.rooms, except: exceptRooms.union(rooms), flags: flags)
    }
    public var volatile: SocketIOBroadcastOperator { with { $0.volatile = true } }
    public var local: SocketIOBroadcastOperator { with { $0.local = true } }
    public func compress(_ compress: Bool) -> SocketIOBroadcastOperator { with { $0.compress = compress } }
    public func timeout(_ ms: UInt64) -> SocketIOBroadcastOperator { with { $0.timeoutMs = ms } }

    private func with(_ change: (inout SocketIOBroadcastFlags) -> Void) -> SocketIOBroadcastOperator {
        var flags = self.flags
        change(&flags)
        return SocketIOBroadcastOperator(namespace: namespace, rooms: rooms, except: exceptRooms, flags: flags)
    }

    static func eventPacket(_ event: String, _ arguments: SocketIOArguments, nsp: String) -> SocketIOPacket {
        var values: [JSONValue] = [.string(event)]
        values.reserveCapacity(arguments.values.count + 2)  // room for a recovery offset
        values.append(contentsOf: arguments.values)
        return SocketIOPacket(type: .event, nsp: nsp, data: .array(values), attachments: arguments.attachments)
    }

    /// Sends the event to the selected sockets: encoded once, one `execute` per loop. False for a reserved event name.
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Bool { emit(event, arguments: SocketIOArguments(args)) }

    @discardableResult
    public func emit(_ event: String, arguments: SocketIOArguments) -> Bool {
        guard !SocketIOPacket.isReserved(event) else { return false }
        namespace.adapter.broadcast(Self.eventPacket(event, arguments, nsp: namespace.name), options: options)
        return true
    }

    /// Sends the event expecting an ack from every selected client; `completion` runs on `loop` once all answered or after
    /// the timeout (`timeout(_:)`, 10 s when not set), whichever comes first.
    public func emitWithAck(_ event: String, arguments: SocketIOArguments = [], on loop: EventLoop,
                            completion: @escaping @Sendable (SocketIOBroadcastAckResult) -> Void) {
        guard !SocketIOPacket.isReserved(event) else {
            loop.runOrExecute { completion(SocketIOBroadcastAckResult(responses: [], timedOut: false)) }
            return
        }
        let collector = AckCollector(loop: loop, completion: completion)
        let timeoutMs = flags.timeoutMs ?? 10_000
        loop.runOrExecute { collector.arm(afterMs: timeoutMs) }
        let adapter = namespace.adapter!
        adapter.broadcastWithAck(Self.eventPacket(event, arguments, nsp: namespace.name), options: options,
                                 clientCount: { collector.addExpected(clients: $0) },
                                 ack: { collector.add(response: $0) })
        adapter.serverCount { collector.setExpected(servers: $0) }
    }

    /// Snapshots of the selected sockets; `completion` may run on any thread.
    public func fetchSockets(_ completion: @escaping @Sendable ([SocketIORemoteSocket]) -> Void) {
        namespace.adapter.fetchSockets(options, completion: completion)
    }

    /// Ids of the selected sockets (`allSockets`); `completion` may run on any thread.
    public func allSockets(_ completion: @escaping @Sendable (Set<SocketID>) -> Void) {
        namespace.adapter.sockets(rooms, completion: completion)
    }

    public func socketsJoin(_ rooms: Room...) { socketsJoin(rooms) }
    public func socketsJoin(_ rooms: [Room]) { namespace.adapter.addSockets(options, rooms: rooms) }
    public func socketsLeave(_ rooms: Room...) { socketsLeave(rooms) }
    public func socketsLeave(_ rooms: [Room]) { namespace.adapter.delSockets(options, rooms: rooms) }
    public func disconnectSockets(close: Bool = false) { namespace.adapter.disconnectSockets(options, close: close) }
}

/// Gathers the acks of a broadcast from every loop; completes on its origin loop.
final class AckCollector: Sendable {
    private struct State {
        var expectedServers = -1
        var reportedServers = 0
        var expectedClients = 0
        var responses: [SocketIOArguments] = []
        var done = false
        var timer: LoopBound<LoopTimer>?
    }
    private let state = Mutex(State())
    private let loop: EventLoop
    private let completion: @Sendable (SocketIOBroadcastAckResult) -> Void

    init(loop: EventLoop, completion: @escaping @Sendable (SocketIOBroadcastAckResult) -> Void) {
        self.loop = loop
        self.completion = completion
    }

    /// On `loop`.
    func arm(afterMs: UInt64) {
        let timer = loop.scheduleTimer(afterMs: afterMs) { [self] in finish(timedOut: true) }
        let alreadyDone = state.withLock { s -> Bool in
            if !s.done { s.timer = LoopBound(timer, loop: loop) }
            return s.done
        }
        if alreadyDone { loop.cancel(timer) }
    }

    func addExpected(clients: Int) {
        state.withLock { s in
            s.expectedClients += clients
            s.reportedServers += 1
        }
        check()
    }

    func setExpected(servers: Int) {
        state.withLock { $0.expectedServers = servers }
        check()
    }

    func add(response: SocketIOArguments) {
        state.withLock { s in if !s.done { s.responses.append(response) } }
        check()
    }

    private func check() {
        let complete = state.withLock { s in
            !s.done && s.expectedServers == s.reportedServers && s.responses.count == s.expectedClients
        }
        if complete { loop.runOrExecute { [self] in finish(timedOut: false) } }
    }

    /// On `loop`.
    private func finish(timedOut: Bool) {
        let outcome = state.withLock { s -> (SocketIOBroadcastAckResult, LoopBound<LoopTimer>?)? in
            guard !s.done else { return nil }
            s.done = true
            let timer = s.timer
            s.timer = nil
            return (SocketIOBroadcastAckResult(responses: s.responses, timedOut: timedOut), timer)
        }
        guard let (result, timer) = outcome else { return }
        if let timer, !timedOut { loop.cancel(timer.value) }
        completion(result)
    }
}
