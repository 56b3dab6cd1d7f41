/// What a session reports, on its loop. The session holds its handler strongly until `webSocketClosed` (so a handler
/// may hold the session strongly too); the cycle ends there.
///
/// One reference instead of a closure per event: a server keeps a session per idle connection, and seven optional
/// closures with their captured contexts were a tenth of an idle Socket.IO connection's memory.
public protocol WebSocketSessionHandler: AnyObject {
    /// A complete text message as its UTF-8 bytes (already validated).
    func webSocket(_ session: WebSocketSession, text bytes: [UInt8])
    func webSocket(_ session: WebSocketSession, binary bytes: [UInt8])
    /// A ping arrived; the pong is sent automatically right after this returns.
    func webSocket(_ session: WebSocketSession, ping payload: [UInt8])
    func webSocket(_ session: WebSocketSession, pong payload: [UInt8])
    /// `isWritable` changed. A producer stops at false and resumes at true.
    func webSocket(_ session: WebSocketSession, writable: Bool)
    /// Called exactly once, when the TCP connection is gone.
    func webSocketClosed(_ session: WebSocketSession, info: WebSocketCloseInfo)
}

extension WebSocketSessionHandler {
    public func webSocket(_ session: WebSocketSession, ping payload: [UInt8]) {}
    public func webSocket(_ session: WebSocketSession, pong payload: [UInt8]) {}
    public func webSocket(_ session: WebSocketSession, writable: Bool) {}
}

/// The closure properties of `WebSocketSession` (`onText`, `onClose`, …), made only when one of them is set.
final class WebSocketClosureHandler: WebSocketSessionHandler {
    var onText: ((String) -> Void)?
    var onTextBytes: (([UInt8]) -> Void)?
    var onBinary: (([UInt8]) -> Void)?
    var onPing: (([UInt8]) -> Void)?
    var onPong: (([UInt8]) -> Void)?
    var onWritabilityChange: ((Bool) -> Void)?
    var onClose: ((WebSocketCloseInfo) -> Void)?

    func webSocket(_ session: WebSocketSession, text bytes: [UInt8]) {
        if let onTextBytes { onTextBytes(bytes) } else { onText?(String(decoding: bytes, as: UTF8.self)) }
    }
    func webSocket(_ session: WebSocketSession, binary bytes: [UInt8]) { onBinary?(bytes) }
    func webSocket(_ session: WebSocketSession, ping payload: [UInt8]) { onPing?(payload) }
    func webSocket(_ session: WebSocketSession, pong payload: [UInt8]) { onPong?(payload) }
    func webSocket(_ session: WebSocketSession, writable: Bool) { onWritabilityChange?(writable) }
    func webSocketClosed(_ session: WebSocketSession, info: WebSocketCloseInfo) { onClose?(info) }
}
