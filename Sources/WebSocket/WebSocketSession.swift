import EventLoop
import HTTP

/// How a WebSocket ended, as reported once by `WebSocketSession.onClose`.
public struct WebSocketCloseInfo: Sendable, Equatable, CustomStringConvertible {
    /// The code of the closing handshake: the peer's (or ours, when we failed the connection); 1005 when a Close carried
    /// no code; 1006 when the TCP connection ended without a closing handshake.
    public var code: UInt16
    public var reason: String
    /// True when Close frames were exchanged (or received) before TCP closed.
    public var wasClean: Bool

    public init(code: UInt16, reason: String, wasClean: Bool) {
        self.code = code
        self.reason = reason
        self.wasClean = wasClean
    }

    public var description: String { "\(code)\(reason.isEmpty ? "" : " \(reason)")\(wasClean ? "" : " (not clean)")" }
}

/// Per-session behaviour that is not part of the RFC state machine.
public struct WebSocketSessionOptions: Sendable {
    /// After our Close is sent (or the peer's answered, client side), TCP is closed if the peer has not done so by then.
    public var closeTimeoutMs: UInt64
    /// Frames that do not fit in the connection's write buffer (`ConnectionLimits.maxBufferedBytes`) wait in the
    /// session, which stops reading from the peer meanwhile. Past this many queued bytes the connection is closed (a
    /// producer that ignored `isWritable`). nil: room for one maximal message or one full write buffer, whichever is
    /// larger — so a message up to `maxMessageBytes` can always be sent, also when it exceeds the connection's buffer.
    public var maxQueuedBytes: Int?

    public init(closeTimeoutMs: UInt64 = 5_000, maxQueuedBytes: Int? = nil) {
        self.closeTimeoutMs = closeTimeoutMs
        self.maxQueuedBytes = maxQueuedBytes
    }
}

/// One open WebSocket over an `EventLoop.Connection`, server or client side: runs a `WebSocketProtocolEngine` on the bytes
/// the connection reads, writes what it encodes, and drives the closing handshake and its timeout.
///
/// Loop-confined (not `Sendable`): use it, and set its handler or callbacks, only on `loop`. Both are released after the
/// close is reported, so they may hold the session strongly.
public final class WebSocketSession: ConnectionDelegate {
    public let connection: Connection
    public let engine: WebSocketProtocolEngine
    public let options: WebSocketSessionOptions
    /// The subprotocol agreed in the handshake, if any.
    public let subprotocol: String?

    /// Receives the session's events. Setting one of the closures below replaces it with a closure handler.
    public var handler: WebSocketSessionHandler?

    private var closures: WebSocketClosureHandler {
        if let existing = handler as? WebSocketClosureHandler { return existing }
        let made = WebSocketClosureHandler()
        handler = made
        return made
    }

    /// A complete text message. Set either this or `onTextBytes` (which wins, and skips building a `String`).
    public var onText: ((String) -> Void)? {
        get { (handler as? WebSocketClosureHandler)?.onText }
        set { closures.onText = newValue }
    }
    /// A complete text message as its UTF-8 bytes (already validated).
    public var onTextBytes: (([UInt8]) -> Void)? {
        get { (handler as? WebSocketClosureHandler)?.onTextBytes }
        set { closures.onTextBytes = newValue }
    }
    public var onBinary: (([UInt8]) -> Void)? {
        get { (handler as? WebSocketClosureHandler)?.onBinary }
        set { closures.onBinary = newValue }
    }
    /// A ping arrived; the pong is sent automatically right after this returns.
    public var onPing: (([UInt8]) -> Void)? {
        get { (handler as? WebSocketClosureHandler)?.onPing }
        set { closures.onPing = newValue }
    }
    public var onPong: (([UInt8]) -> Void)? {
        get { (handler as? WebSocketClosureHandler)?.onPong }
        set { closures.onPong = newValue }
    }
    /// `isWritable` changed. A producer stops at false and resumes at true.
    public var onWritabilityChange: ((Bool) -> Void)? {
        get { (handler as? WebSocketClosureHandler)?.onWritabilityChange }
        set { closures.onWritabilityChange = newValue }
    }
    /// Called exactly once, when the TCP connection is gone.
    public var onClose: ((WebSocketCloseInfo) -> Void)? {
        get { (handler as? WebSocketClosureHandler)?.onClose }
        set { closures.onClose = newValue }
    }

    /// Frames that did not fit in the connection's buffer, in write order; the head may be partly written.
    /// Exists only while frames wait (a session that keeps up never makes one).
    private final class Overflow {
        var queue: [[UInt8]] = []
        var headOffset = 0
        var bytes = 0
        var readingPaused = false
        /// TCP is to be closed once the queue is written (closing the connection drops what it has not been given yet).
        var closeTCPWhenDrained = false
    }
    private var overflow: Overflow?
    public var queuedBytes: Int { overflow?.bytes ?? 0 }
    private var maxQueuedBytes: Int {
        options.maxQueuedBytes ?? max(connection.limits.maxBufferedBytes, engine.configuration.maxMessageBytes + 16)
    }
    private static let pumpChunkBytes = 256 * 1024

    /// What only a closing session needs, made when the closing starts: an open session does not carry it.
    private final class Closing {
        var info: WebSocketCloseInfo?
        var peer: (code: UInt16?, reason: String)?
        var timer: LoopTimer?
    }
    private var closingState: Closing?
    private var closing: Closing {
        if let closingState { return closingState }
        let made = Closing()
        closingState = made
        return made
    }
    private var reportedWritable = true
    public private(set) var isClosed = false

    /// The server's registry of this loop's sessions, told when the session is finished; its list runs through the
    /// sessions themselves (no table entry or callback per session). Strong: a session that outlives its server's
    /// registry (a loop stopped under it) must not reach a freed one; the link is dropped when the session finishes.
    var registry: WebSocketLoopSessions?
    var registryNext: WebSocketSession?
    unowned(unsafe) var registryPrevious: WebSocketSession?

    init(connection: Connection, engine: WebSocketProtocolEngine, subprotocol: String?,
         options: WebSocketSessionOptions) {
        self.connection = connection
        self.engine = engine
        self.subprotocol = subprotocol
        self.options = options
    }

    public var loop: EventLoop { connection.loop }
    public var remoteAddress: String { connection.remoteAddress }
    public var role: WebSocketRole { engine.role }
    /// The agreed permessage-deflate parameters; nil when not compressing.
    public var negotiatedDeflate: NegotiatedDeflate? { engine.negotiated }
    /// True until we or the peer started closing.
    public var isOpen: Bool { !isClosed && engine.state == .open }
    /// False while the output is backed up (above the connection's high watermark, or frames queued in the session).
    /// Sending anyway is allowed but grows memory, and is cut off at the connection's limits.
    public var isWritable: Bool { !isClosed && connection.isWritable && overflow == nil }
    /// Bytes accepted but not yet handed to the kernel.
    public var bufferedBytes: Int { connection.bufferedBytes + queuedBytes }

    // MARK: Sending

    /// Each returns false when nothing was sent because the WebSocket is closing or closed.
    @discardableResult
    public func sendText(_ text: String) -> Bool { write(engine.encodeText(text)) }

    /// `utf8` must be valid UTF-8 (it is not checked: e.g. a received text message being echoed).
    @discardableResult
    public func sendText(utf8: [UInt8]) -> Bool { write(utf8.withUnsafeBytes { engine.encodeText($0) }) }

    /// A text message that `body` appends (valid UTF-8, unchecked) straight into its frame buffer.
    @discardableResult
    public func sendText(writing body: (inout [UInt8]) -> Void) -> Bool { write(engine.encodeText(writing: body)) }

    @discardableResult
    public func sendBinary(_ bytes: [UInt8]) -> Bool { write(engine.encodeBinary(bytes)) }

    /// A message encoded once for many sessions: sessions with the same compression parameters (or none) write the very
    /// same buffer. Client sessions encode it themselves (masking is per frame).
    @discardableResult
    public func send(_ prepared: PreparedWebSocketMessage) -> Bool { write(engine.encode(prepared)) }

    /// `payload` at most 125 bytes.
    @discardableResult
    public func ping(_ payload: [UInt8] = []) -> Bool { write(engine.encodePing(payload)) }

    /// Starts the closing handshake. TCP is closed when the peer answers, or after `options.closeTimeoutMs`.
    public func close(code: UInt16 = WebSocketCloseCode.normalClosure, reason: String = "") {
        guard !isClosed, engine.state == .open else { return }
        _ = write(engine.encodeClose(code: code, reason: reason))
        armCloseTimer()
    }

    /// Drops the TCP connection without a closing handshake (`onClose` reports 1006).
    public func abort() {
        connection.closeNow()
    }

    private func write(_ frame: consuming [UInt8]) -> Bool {
        guard !frame.isEmpty, !isClosed else { return false }
        if overflow == nil && connection.bufferedBytes + frame.count <= connection.limits.maxBufferedBytes {
            connection.write(frame)
        } else {
            let waiting = overflow ?? Overflow()
            guard waiting.bytes + frame.count <= maxQueuedBytes else {
                connection.closeNow(.writeBufferOverflow(limit: maxQueuedBytes))
                return false
            }
            overflow = waiting
            waiting.bytes += frame.count
            waiting.queue.append(frame)
            if !waiting.readingPaused {
                waiting.readingPaused = true
                connection.pauseReading()
            }
            pumpQueue()
        }
        reportWritability()
        return true
    }

    /// Moves queued frames into the connection, a slice at a time, while it is writable; the connection reports when it
    /// drains below its low watermark, which brings us back here.
    private func pumpQueue() {
        guard let waiting = overflow else { return }
        while !waiting.queue.isEmpty && !isClosed && connection.isWritable {
            let room = connection.limits.maxBufferedBytes - connection.bufferedBytes
            guard room > 0 else {
                // Writable yet full (high watermark equal to the limit): no watermark crossing will call us back.
                loop.scheduleTimer(afterMs: 1) { [weak self] in self?.pumpQueue(); self?.reportWritability() }
                return
            }
            let head = waiting.queue[0]
            let remaining = head.count - waiting.headOffset
            let n = min(remaining, room, Self.pumpChunkBytes)
            if n == head.count {
                connection.write(head)
            } else {
                connection.write(Array(head[waiting.headOffset..<waiting.headOffset + n]))
            }
            waiting.bytes -= n
            if n == remaining {
                waiting.queue.removeFirst()
                waiting.headOffset = 0
            } else {
                waiting.headOffset += n
            }
        }
        guard waiting.queue.isEmpty, !isClosed else { return }
        overflow = nil
        if waiting.closeTCPWhenDrained {
            connection.close()
        } else if waiting.readingPaused {
            connection.resumeReading()
        }
    }

    /// Closes TCP after everything sent so far (the connection flushes its own buffer first).
    private func closeTCPAfterOutput() {
        if let waiting = overflow { waiting.closeTCPWhenDrained = true } else { connection.close() }
    }

    private func reportWritability() {
        let now = isWritable
        guard now != reportedWritable, !isClosed else { return }
        reportedWritable = now
        handler?.webSocket(self, writable: now)
    }

    // MARK: Receiving

    /// Feeds bytes read from the peer (also the bytes that followed the upgrade request).
    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        let outcome = engine.receive(bytes) { event in self.dispatch(event) }
        writeEngineOutput()
        switch outcome {
        case .ok:
            break
        case .closed(let code):
            if closing.info == nil {
                closing.info = WebSocketCloseInfo(code: code ?? WebSocketCloseCode.noStatusReceived,
                                                  reason: closing.peer?.reason ?? "", wasClean: true)
            }
            if role == .server {
                closeTCPAfterOutput()
            } else {
                // §7.1.1: the server closes TCP first; give it a moment.
                armCloseTimer()
            }
        case .failed(let code):
            if closing.info == nil {
                closing.info = WebSocketCloseInfo(code: code, reason: Self.failureReason(code), wasClean: false)
            }
            closeTCPAfterOutput()
        }
    }

    /// Pongs and Close replies the engine queued, written before anything the application sends next (the engine's
    /// ordering rule), which is why this also runs before each message is handed to the application.
    private func writeEngineOutput() {
        if let output = engine.takeOutput() { _ = write(output) }
    }

    private func dispatch(_ event: WebSocketEvent) {
        guard !isClosed else { return }
        switch event {
        case .text(let bytes):
            writeEngineOutput()
            handler?.webSocket(self, text: bytes)
        case .binary(let bytes):
            writeEngineOutput()
            handler?.webSocket(self, binary: bytes)
        case .ping(let payload):
            handler?.webSocket(self, ping: payload)
        case .pong(let payload):
            handler?.webSocket(self, pong: payload)
        case .close(let code, let reason):
            closing.peer = (code, reason)
        }
    }

    private static func failureReason(_ code: UInt16) -> String {
        switch code {
        case WebSocketCloseCode.protocolError: "protocol error"
        case WebSocketCloseCode.invalidPayloadData: "invalid UTF-8 or compressed data"
        case WebSocketCloseCode.messageTooBig: "message too big"
        default: "connection failed"
        }
    }

    private func armCloseTimer() {
        let timer = closing.timer ?? LoopTimer { [weak self] in
            guard let self, !self.isClosed else { return }
            if self.role == .client && self.engine.state == .closed && self.overflow == nil {
                self.connection.close()  // handshake done, the server just did not close TCP: a clean end
            } else {
                self.connection.closeNow()
            }
        }
        closing.timer = timer
        loop.schedule(timer, afterMs: options.closeTimeoutMs)
    }

    // MARK: ConnectionDelegate

    public func connectionDidBecomeActive(_ connection: Connection) {}

    public func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        receive(bytes)
    }

    public func connectionWritabilityDidChange(_ connection: Connection) {
        if connection.isWritable { pumpQueue() }
        reportWritability()
    }

    public func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {
        guard !isClosed else { return }
        isClosed = true
        let closing = closingState
        closingState = nil
        if let timer = closing?.timer, timer.isArmed { loop.cancel(timer) }
        overflow = nil
        var info = closing?.info ?? WebSocketCloseInfo(code: WebSocketCloseCode.abnormalClosure,
                                                       reason: reason.description, wasClean: false)
        if closing?.info == nil, let peer = closing?.peer {
            info = WebSocketCloseInfo(code: peer.code ?? WebSocketCloseCode.noStatusReceived, reason: peer.reason,
                                      wasClean: true)
        }
        let handler = self.handler
        self.handler = nil
        handler?.webSocketClosed(self, info: info)
        registry?.remove(self)
    }
}
