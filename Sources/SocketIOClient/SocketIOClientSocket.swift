import EventLoop
import GatewayProtocol
import SocketIO

/// Answers an event the server sent with an ack id. Sends at most once.
public final class SocketIOClientAck {
    private weak var socket: SocketIOClientSocket?
    public let id: Int
    public private(set) var sent = false

    init(socket: SocketIOClientSocket, id: Int) {
        self.socket = socket
        self.id = id
    }

    public func send(_ arguments: EventArguments) {
        guard !sent, let socket else { return }
        sent = true
        socket.client.send(SocketIOPacket(type: .ack, nsp: socket.nsp, id: id, data: .array(arguments.values),
                                          attachments: arguments.attachments))
    }
}

public typealias SocketIOClientEventHandler = (EventArguments, SocketIOClientAck?) -> Void

/// One namespace of a `SocketIOClient`. Loop-confined, like its client. Emits made before the namespace is connected are
/// buffered and sent once it is (as the JS client does).
public final class SocketIOClientSocket {
    unowned let client: SocketIOClient
    public let nsp: String
    public var loop: EventLoop { client.loop }
    public var auth: JSONObject?
    /// The socket id the server gave (nil while not connected).
    public private(set) var id: String?
    /// Connection-state recovery: the private id and the offset of the last event received, offered on reconnection.
    public private(set) var pid: String?
    public private(set) var lastOffset: String?
    /// The last CONNECT restored the previous session (the server recognised `pid`/`offset`).
    public private(set) var recovered = false
    public private(set) var connected = false

    public var onConnect: (() -> Void)?
    /// CONNECT refused: `.connectRefused(message:data:)` with what the server's middleware said, or `.openFailed` when
    /// the session itself could not be opened (refused connection, untrusted certificate, …).
    public var onConnectError: ((SocketIOClientError) -> Void)?
    /// "io server disconnect", "io client disconnect", "transport close", "transport error", "ping timeout", "parse error".
    public var onDisconnect: ((String) -> Void)?

    var wantsConnection = false
    private var handlers: [String: [SocketIOClientEventHandler]] = [:]
    private var anyHandlers: [(String, EventArguments, SocketIOClientAck?) -> Void] = []
    private var pendingAcks: [Int: PendingAck] = [:]
    private var nextAckID = 0
    private var buffered: [SocketIOPacket] = []

    private struct PendingAck {
        let event: String
        let timer: LoopTimer?
        let completion: (Result<EventArguments, SocketIOClientError>) -> Void
    }

    init(client: SocketIOClient, nsp: String, auth: JSONObject?) {
        self.client = client
        self.nsp = nsp
        self.auth = auth
    }

    public func on(_ event: String, _ handler: @escaping SocketIOClientEventHandler) { handlers[event, default: []].append(handler) }
    public func onAny(_ handler: @escaping (String, EventArguments, SocketIOClientAck?) -> Void) { anyHandlers.append(handler) }

    /// Connects the namespace (opening the client's session first when needed).
    public func connect() {
        wantsConnection = true
        if client.isEngineOpen { sendConnect() } else { client.open() }
    }

    /// Leaves the namespace ("io client disconnect"); the session closes when no namespace is left.
    public func disconnect() {
        wantsConnection = false
        if connected { sendDisconnectPacket() }
        buffered = []
        lost("io client disconnect")
        client.socketDisconnected(self)
    }

    public func emit(_ event: String, _ values: JSONValue...) { emit(event, arguments: EventArguments(values)) }

    public func emit(_ event: String, arguments: EventArguments) {
        send(eventPacket(event, arguments, id: nil))
    }

    /// Emits with an ack id; `completion` gets the server's ack arguments, or `.ackTimedOut` after `timeoutMs`
    /// (default: the client's `ackTimeoutMs`), or `.disconnected` if the socket goes first.
    public func emitWithAck(_ event: String, arguments: EventArguments = [], timeoutMs: UInt64? = nil,
                            completion: @escaping (Result<EventArguments, SocketIOClientError>) -> Void) {
        let id = nextAckID
        nextAckID &+= 1
        let ms = timeoutMs ?? client.options.ackTimeoutMs
        let timer = ms == 0 ? nil : client.loop.scheduleTimer(afterMs: ms) { [weak self] in
            guard let self, let pending = pendingAcks.removeValue(forKey: id) else { return }
            pending.completion(.failure(.ackTimedOut(event: event, afterMs: ms)))
        }
        pendingAcks[id] = PendingAck(event: event, timer: timer, completion: completion)
        send(eventPacket(event, arguments, id: id))
    }

    private func eventPacket(_ event: String, _ arguments: EventArguments, id: Int?) -> SocketIOPacket {
        var values: [JSONValue] = [.string(event)]
        values.reserveCapacity(arguments.values.count + 1)
        values += arguments.values
        return SocketIOPacket(type: .event, nsp: nsp, id: id, data: .array(values), attachments: arguments.attachments)
    }

    private func send(_ packet: SocketIOPacket) {
        if connected { client.send(packet) } else { buffered.append(packet) }
    }

    func sendConnect() {
        var payload = auth ?? JSONObject()
        if let pid {
            payload["pid"] = .string(pid)
            if let lastOffset { payload["offset"] = .string(lastOffset) }
        }
        client.send(SocketIOPacket(type: .connect, nsp: nsp, data: auth == nil && pid == nil ? nil : .object(payload)))
    }

    func sendDisconnectPacket() { client.send(SocketIOPacket(type: .disconnect, nsp: nsp)) }

    func receive(_ packet: SocketIOPacket) {
        switch packet.type {
        case .connect:
            guard let sid = packet.data?["sid"]?.stringValue else { return }
            let newPid = packet.data?["pid"]?.stringValue
            recovered = newPid != nil && newPid == pid
            pid = newPid
            id = sid
            connected = true
            let queued = buffered
            buffered = []
            for packet in queued { client.send(packet) }
            onConnect?()
        case .connectError:
            wantsConnection = false
            let message = packet.data?["message"]?.stringValue ?? packet.data?.stringValue ?? "connect_error"
            onConnectError?(.connectRefused(message: message, data: packet.data?["data"]))
            client.socketDisconnected(self)
        case .disconnect:
            wantsConnection = false
            lost("io server disconnect")
            client.socketDisconnected(self)
        case .event, .binaryEvent:
            guard case .array(var values)? = packet.data, !values.isEmpty else { return }
            let name = values.removeFirst()
            if pid != nil, let offset = values.last?.stringValue { lastOffset = offset }
            let arguments = EventArguments(values, attachments: packet.attachments)
            let ack = packet.id.map { SocketIOClientAck(socket: self, id: $0) }
            let event = name.stringValue ?? name.description
            for handler in anyHandlers { handler(event, arguments, ack) }
            if let list = handlers[event] { for handler in list { handler(arguments, ack) } }
        case .ack, .binaryAck:
            guard let id = packet.id, let pending = pendingAcks.removeValue(forKey: id) else { return }
            if let timer = pending.timer, timer.isArmed { client.loop.cancel(timer) }
            pending.completion(.success(EventArguments(packet.data?.arrayValue ?? [], attachments: packet.attachments)))
        }
    }

    /// A session that never opened is a `connect_error` for the namespaces waiting on it, as in the JS client.
    func engineClosed(_ reason: String) {
        if wantsConnection && !connected && reason.hasPrefix("open failed") {
            onConnectError?(.openFailed(String(reason.dropFirst("open failed: ".count))))
        }
        lost(reason)
    }

    /// The client handed its WebSocket over: this socket stops, silently (the namespace is still connected on the server).
    func handedOver() {
        wantsConnection = false
        buffered = []
        lost("handed over", notify: false)
    }

    /// Acks still owed fail (the server cannot answer them on another session), as the JS client does.
    private func lost(_ reason: String, notify: Bool = true) {
        let wasConnected = connected
        connected = false
        id = nil
        let owed = pendingAcks
        pendingAcks = [:]
        for pending in owed.values {
            if let timer = pending.timer, timer.isArmed { client.loop.cancel(timer) }
            pending.completion(.failure(.disconnected(reason)))
        }
        if wasConnected && notify { onDisconnect?(reason) }
    }
}
