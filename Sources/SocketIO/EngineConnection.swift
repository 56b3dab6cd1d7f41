import EngineIO
import EventLoop
import HTTP

/// One Engine.IO message as Socket.IO sees it: a text frame (UTF-8 bytes) or a binary one.
public enum EngineMessage: Sendable, Equatable {
    case text([UInt8])
    case binary([UInt8])
}

/// The same message for many recipients: a broadcast encodes its packet once into one of these and hands the same object to
/// every recipient connection, on whatever loop each lives. The Engine.IO frame (and its WebSocket frame) is prepared
/// here once too, so every recipient writes the same bytes and none takes a lock to find them.
public final class SharedEngineMessage: Sendable {
    public let message: EngineMessage
    public let prepared: EngineIOPreparedMessage

    public init(_ message: EngineMessage) {
        self.message = message
        prepared = EngineIOPreparedMessage(message.engineIO)
    }
}

extension EngineMessage {
    var engineIO: EngineIOMessage {
        switch self {
        case .text(let bytes): .text(bytes)
        case .binary(let bytes): .binary(bytes)
        }
    }
}

/// The Engine.IO side of one client connection, as the Socket.IO layer uses it. Confined to `loop`: every member is called on
/// that loop's thread.
public protocol EngineConnection: AnyObject {
    /// The Engine.IO session id.
    var id: String { get }
    var loop: EventLoop { get }
    /// What the client sent when it opened the connection.
    var engineHandshake: EngineHandshake { get }
    func send(_ message: EngineMessage)
    /// One text message that `body` appends, written straight into the outgoing frame where the transport allows.
    func sendText(writing body: (inout [UInt8]) -> Void)
    /// Sends a message shared with other recipients (the same object for all of them).
    func send(prepared: SharedEngineMessage)
    /// Closes the connection; the transport then reports nothing more to the handler (`closed(reason:)` is not called for a
    /// close the Socket.IO side asked for).
    func close()
    /// False while the transport cannot take more data right now (volatile packets are then dropped).
    var isWritable: Bool { get }
}

extension EngineConnection {
    /// For connections without a direct path: the bytes become a message.
    public func sendText(writing body: (inout [UInt8]) -> Void) {
        var bytes: [UInt8] = []
        body(&bytes)
        send(.text(bytes))
    }
}

/// What the HTTP upgrade or first polling request said; shared by every socket's `handshake` (not copied per socket).
public struct EngineHandshake: Sendable {
    public var headers: PackedHeaders
    public var remoteAddress: String
    public var isSecure: Bool
    /// The request target (path and query).
    public var url: String
    /// Milliseconds since the Unix epoch when the connection was made.
    public var issuedMs: UInt64

    public init(headers: PackedHeaders = PackedHeaders([] as [(String, String)]), remoteAddress: String = "",
                isSecure: Bool = false, url: String = "/socket.io/", issuedMs: UInt64 = 0) {
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.url = url
        self.issuedMs = issuedMs
    }

    /// The query parameters of `url`, parsed on each call.
    public var query: [String: String] { HTTPQuery.parse(target: url) }
}

/// What the Engine.IO layer calls on the Socket.IO side of a connection, on the connection's loop.
public protocol EngineConnectionHandler: AnyObject {
    func receive(_ message: EngineMessage)
    /// The connection is gone: "transport close", "transport error", "ping timeout", "parse error" or "forced close".
    func closed(reason: String)
}
