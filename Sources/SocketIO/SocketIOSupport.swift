import EngineIO
import EventLoop
import Glibc
import GatewayProtocol
import HTTP

public typealias SocketID = String
public typealias Room = String

/// The arguments of an event or an acknowledgement; the contract's type, so handler modules get them without conversion.
public typealias SocketIOArguments = EventArguments

extension EventLoop {
    /// Runs `task` now when called on this loop, else on the loop at its next iteration.
    @inlinable
    public func runOrExecute(_ task: @escaping @Sendable () -> Void) {
        if isInLoop { task() } else { execute(task) }
    }
}

/// The connection details a socket was made with, as the official `socket.handshake`: built when asked for from the
/// connection's (header fields packed, the query read from `url`) and the socket's `auth`.
public struct SocketIOHandshake: Sendable {
    public var headerFields: PackedHeaders
    public var address: String
    public var secure: Bool
    public var url: String
    /// Milliseconds since the Unix epoch.
    public var issuedMs: UInt64
    /// True when the request carried an `Origin` header.
    public var xdomain: Bool
    /// The payload of the CONNECT packet (`{}` when there was none).
    public var auth: JSONObject

    init(engine: EngineHandshake, auth: JSONObject) {
        headerFields = engine.headers
        address = engine.remoteAddress
        secure = engine.isSecure
        url = engine.url
        issuedMs = engine.issuedMs
        xdomain = engine.headers["origin"] != nil
        self.auth = auth
    }

    /// The header fields in arrival order (built on each call).
    public var headers: [(String, String)] { headerFields.fields.map { ($0.name, $0.value) } }
    /// The query parameters of `url` (parsed on each call).
    public var query: [String: String] { HTTPQuery.parse(target: url) }

    public func header(_ name: String) -> String? { headerFields[name] }
}

extension JSONObject {
    /// The same members without the parser's spare capacity: for an object kept as long as a connection.
    public var exactlySized: JSONObject {
        var copy = JSONObject(minimumCapacity: count)
        for (key, value) in self { copy.updateValue(value, forKey: key) }
        return copy
    }
}

/// Refuses a connection from a namespace middleware: the client gets CONNECT_ERROR `{"message":…,"data":…}`.
public struct SocketIOConnectError: Error, Sendable, Equatable {
    public var message: String
    public var data: JSONValue?
    public init(_ message: String, data: JSONValue? = nil) {
        self.message = message
        self.data = data
    }

    var payload: JSONValue {
        var object: JSONObject = ["message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}

/// Options of the connection state recovery (Socket.IO 4.6+).
public struct SocketIOStateRecovery: Sendable {
    /// How long a disconnected session (and the packets it may have missed) is kept.
    public var maxDisconnectionDurationMs: UInt64
    /// A recovered socket skips the namespace middlewares.
    public var skipMiddlewares: Bool

    public init(maxDisconnectionDurationMs: UInt64 = 120_000, skipMiddlewares: Bool = true) {
        self.maxDisconnectionDurationMs = maxDisconnectionDurationMs
        self.skipMiddlewares = skipMiddlewares
    }
}

public struct SocketIOServerOptions: Sendable {
    /// A connection that has joined no namespace after this long is closed.
    public var connectTimeoutMs: UInt64 = 45_000
    /// Binary attachments one packet may announce.
    public var maxAttachments = 10
    public var jsonOptions = JSONParseOptions()
    /// nil: off (the default, as official).
    public var connectionStateRecovery: SocketIOStateRecovery?
    /// One adapter per namespace; the in-memory one by default.
    public var adapterFactory: @Sendable (SocketIONamespace) -> any SocketIOAdapter = { InMemoryAdapter(namespace: $0) }
    /// Monotonic milliseconds (replaceable in tests).
    public var clockMs: @Sendable () -> UInt64 = SocketIOIDs.monotonicMs
    /// Socket ids and private session ids (20 random URL-safe base64 characters by default, as `base64id`).
    public var generateID: @Sendable () -> String = SocketIOIDs.random

    public init() {}
}

public enum SocketIOIDs {
    /// Socket ids and recovery pids: the same generator as Engine.IO session ids (15 characters, 90 random bits).
    @Sendable public static func random() -> String { EngineIOSid.generate() }

    @Sendable public static func monotonicMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    @Sendable static func wallClockMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}

/// Broadcast flags, as the official `BroadcastFlags`.
public struct SocketIOBroadcastFlags: Sendable, Equatable {
    /// Dropped for a recipient whose transport is not writable right now; never kept for state recovery.
    public var volatile = false
    public var compress: Bool?
    /// This server only (no effect with the in-memory adapter).
    public var local = false
    /// For `emitWithAck`.
    public var timeoutMs: UInt64?
    public init() {}
}

/// Which sockets an adapter operation addresses: those in any of `rooms` (every socket when empty), minus those in any of
/// `except`.
public struct SocketIOBroadcastOptions: Sendable, Equatable {
    public var rooms: Set<Room>
    public var except: Set<Room>
    public var flags: SocketIOBroadcastFlags
    public init(rooms: Set<Room> = [], except: Set<Room> = [], flags: SocketIOBroadcastFlags = SocketIOBroadcastFlags()) {
        self.rooms = rooms
        self.except = except
        self.flags = flags
    }
}
