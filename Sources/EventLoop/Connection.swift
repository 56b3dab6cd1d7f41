import CLinux
import Glibc

/// What a protocol layer (HTTP, WebSocket) implements to sit on a connection. Called on the connection's loop only.
public protocol ConnectionDelegate: AnyObject {
    /// The connection can carry data: right after accept, or after the TLS handshake.
    func connectionDidBecomeActive(_ connection: Connection)
    /// Bytes arrived. The view borrows the loop's shared receive buffer: copy what must outlive the call.
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer)
    /// `isWritable` flipped (the write buffer crossed a watermark). Producers should stop or resume.
    func connectionWritabilityDidChange(_ connection: Connection)
    /// The connection is closed and its descriptor released. Called exactly once.
    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason)
    /// The peer finished sending (TCP half-close). Return true to keep the connection for the answers still owed — the
    /// delegate then closes it itself; false (the default) closes it once queued bytes are sent.
    func connectionPeerDidHalfClose(_ connection: Connection) -> Bool
}

extension ConnectionDelegate {
    public func connectionWritabilityDidChange(_ connection: Connection) {}
    public func connectionPeerDidHalfClose(_ connection: Connection) -> Bool { false }
}

public enum ConnectionCloseReason: Sendable, Equatable, CustomStringConvertible {
    case peerClosed
    case closedLocally
    case writeBufferOverflow(limit: Int)
    case tlsHandshakeFailed(String)
    case tlsHandshakeTimeout
    case ioError(String)

    public var description: String {
        switch self {
        case .peerClosed: "peer closed"
        case .closedLocally: "closed locally"
        case .writeBufferOverflow(let limit): "write buffer over its limit of \(limit) bytes (peer not reading)"
        case .tlsHandshakeFailed(let why): "TLS handshake failed: \(why)"
        case .tlsHandshakeTimeout: "TLS handshake timed out"
        case .ioError(let why): why
        }
    }
}

/// Write-buffer limits. Above `highWatermark` the connection stops reading from its peer (so a client that sends requests
/// but never reads the answers stops producing work) and reports itself not writable; below `lowWatermark` it resumes.
/// Past `maxBufferedBytes` — a producer that ignored `isWritable`, like a broadcast to a stalled socket — it is closed.
public struct ConnectionLimits: Sendable {
    /// Shared by the connections made with the same limits (a listener's), instead of a copy in each.
    final class Shared: Sendable {
        let value: ConnectionLimits
        init(_ value: ConnectionLimits) { self.value = value }
    }

    public var highWatermark: Int
    public var lowWatermark: Int
    public var maxBufferedBytes: Int
    public var tlsHandshakeTimeoutMs: UInt64
    /// How long a closing connection keeps draining the peer's input after sending its last bytes, so that closing with
    /// unread input does not turn into a TCP reset that destroys the response in flight.
    public var lingerMs: UInt64

    public init(highWatermark: Int = 64 * 1024, lowWatermark: Int = 16 * 1024, maxBufferedBytes: Int = 4 * 1024 * 1024,
                tlsHandshakeTimeoutMs: UInt64 = 10_000, lingerMs: UInt64 = 2_000) {
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
        self.maxBufferedBytes = maxBufferedBytes
        self.tlsHandshakeTimeoutMs = tlsHandshakeTimeoutMs
        self.lingerMs = lingerMs
    }
}

/// A connected TCP socket confined to one loop: reads into the loop's shared buffer, queues writes and gathers them into
/// one `writev` (or TLS records) before the loop sleeps, and applies the watermarks above.
public final class Connection: IOHandler {
    public let loop: EventLoop
    public let fd: Int32
    /// "ip:port" of the peer.
    public let remoteAddress: String
    private let sharedLimits: ConnectionLimits.Shared
    public var limits: ConnectionLimits { sharedLimits.value }
    public var delegate: ConnectionDelegate?
    public let tls: TLSSession?

    enum State { case connecting, handshaking, open, closingAfterFlush, lingering, closed }
    var state: State

    /// Queued output. Chunks are shared, not copied: a broadcast appends the same array to every recipient.
    var pending = WriteQueue()
    var pendingHeadOffset = 0
    public internal(set) var bufferedBytes = 0
    var flushQueued = false
    var waitingForWritable = false
    /// Length of the last `SSL_write` that asked to be retried: OpenSSL requires the retry to carry the same bytes.
    var tlsRetryLength = 0
    var tlsReadWantsWrite = false
    var tlsWriteWantsRead = false

    public private(set) var isWritable = true
    var readPausedByUser = false
    /// The peer half-closed and the delegate still owes it answers: nothing more to read.
    var peerInputClosed = false
    var closeReason: ConnectionCloseReason = .closedLocally
    var timer: LoopTimer?
    var onConnect: ((Result<Void, SystemError>) -> Void)?
    let counter: ConnectionCounter?
    /// True for connections this process opened (clients drive the TLS handshake first).
    public let isClientSide: Bool

    init(loop: EventLoop, fd: Int32, remoteAddress: String, limits: ConnectionLimits.Shared, tls: TLSSession?,
         connecting: Bool = false, counter: ConnectionCounter? = nil) {
        self.isClientSide = connecting
        self.loop = loop
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.sharedLimits = limits
        self.tls = tls
        self.counter = counter
        state = connecting ? .connecting : (tls == nil ? .open : .handshaking)
    }

    public var isOpen: Bool { state == .open || state == .handshaking || state == .connecting }
    public var isClosed: Bool { state == .closed }

    /// Registers with the loop and starts reading (or the TLS handshake). Called once the delegate is set.
    func start() {
        do {
            try loop.register(fd, interest: currentInterest(), handler: self)
        } catch {
            Glibc.close(fd)
            counter?.release()
            state = .closed
            delegate?.connectionDidClose(self, reason: .ioError(error.description))
            delegate = nil
            return
        }
        loop.connectionCount += 1
        switch state {
        case .open:
            delegate?.connectionDidBecomeActive(self)
        case .handshaking:
            let timer = LoopTimer { [unowned self] in
                if self.state == .handshaking { self.closeNow(.tlsHandshakeTimeout) }
            }
            self.timer = timer
            loop.schedule(timer, afterMs: limits.tlsHandshakeTimeoutMs)
        default:
            break
        }
    }

    // MARK: Reading

    public func pauseReading() {
        readPausedByUser = true
        updateInterest()
    }

    public func resumeReading() {
        readPausedByUser = false
        updateInterest()
    }

    public func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        switch state {
        case .connecting:
            finishConnect()
        case .handshaking:
            driveHandshake()
        case .closed:
            return
        default:
            if writable {
                if tlsReadWantsWrite {
                    tlsReadWantsWrite = false
                    readAvailable()
                }
                if state != .closed { flushFromLoop() }
            }
            if readable && state != .closed {
                if state == .lingering { drainWhileLingering() } else if !readPaused || hangup { readAvailable() }
            }
        }
    }

    var readPaused: Bool { readPausedByUser || peerInputClosed || !isWritable || state == .closingAfterFlush }

    private func readAvailable() {
        if tls != nil { readTLS(); return }
        // Several reads per wake-up, bounded, so one busy peer cannot starve the loop's other connections.
        for _ in 0..<4 {
            let n = Glibc.read(fd, loop.receiveBuffer.baseAddress, loop.receiveBuffer.count)
            if n > 0 {
                delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: loop.receiveBuffer[0..<n]))
                if n < loop.receiveBuffer.count || state != .open || readPaused { return }
            } else if n == 0 {
                peerClosedInput()
                return
            } else {
                let err = clinux_errno()
                if err == EAGAIN || err == EWOULDBLOCK || err == EINTR { return }
                closeNow(.ioError(SystemError("read", errno: err).description))
                return
            }
        }
    }

    /// The peer will send nothing more. Whatever is queued still goes out (a client may half-close after its request).
    func peerClosedInput() {
        closeReason = .peerClosed
        if !peerInputClosed, delegate?.connectionPeerDidHalfClose(self) == true {
            peerInputClosed = true
            updateInterest()
            return
        }
        if bufferedBytes > 0 { state = .closingAfterFlush; updateInterest() } else { closeNow(.peerClosed) }
    }

    // MARK: Writing

    /// Queues bytes; they are sent before the loop next sleeps, gathered with other writes. Consuming: the caller's
    /// reference moves into the queue (no retain here and release there per write).
    public func write(_ bytes: consuming [UInt8]) {
        guard state == .open || state == .handshaking || state == .connecting, !bytes.isEmpty else { return }
        let count = bytes.count
        pending.append(bytes)
        bufferedBytes += count
        if bufferedBytes > limits.maxBufferedBytes {
            closeNow(.writeBufferOverflow(limit: limits.maxBufferedBytes))
            return
        }
        if isWritable && bufferedBytes > limits.highWatermark {
            isWritable = false
            updateInterest()
            delegate?.connectionWritabilityDidChange(self)
        }
        scheduleFlush()
    }

    func scheduleFlush() {
        guard !flushQueued, !waitingForWritable, state != .handshaking, state != .connecting else { return }
        flushQueued = true
        loop.enqueueFlush(self)
    }

    func flushFromLoop() {
        flushQueued = false
        guard state == .open || state == .closingAfterFlush else { return }
        if bufferedBytes > 0 {
            if tls != nil { flushTLS() } else { flushPlain() }
        }
        guard state != .closed else { return }
        afterFlush()
    }

    private func afterFlush() {
        if !isWritable && bufferedBytes <= limits.lowWatermark {
            isWritable = true
            updateInterest()
            delegate?.connectionWritabilityDidChange(self)
        }
        if bufferedBytes == 0 && state == .closingAfterFlush { beginLinger() }
    }

    private func flushPlain() {
        while bufferedBytes > 0 {
            let written = writeGathered()
            if written > 0 {
                consume(written)
            } else if written == 0 {
                return
            } else {
                let err = Int32(-written)
                if err == EAGAIN || err == EWOULDBLOCK {
                    waitingForWritable = true
                    updateInterest()
                    return
                }
                if err == EINTR { continue }
                closeNow(.ioError(SystemError("writev", errno: err).description))
                return
            }
        }
        if waitingForWritable {
            waitingForWritable = false
            updateInterest()
        }
    }

    /// One `writev` over up to 64 queued chunks (one `write` for a single chunk: nearly every flush, as a broadcast
    /// leaves one shared frame per recipient, and it needs no iovec array). Returns bytes written, or -errno.
    private func writeGathered() -> Int {
        let count = min(pending.count, 64)
        if count == 1 {
            let n = pending.withHead { chunk in
                Glibc.write(fd, chunk.baseAddress! + pendingHeadOffset, chunk.count - pendingHeadOffset)
            }
            return n >= 0 ? n : -Int(clinux_errno())
        }
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { iovecs in
            collectIOVecs(0, count, iovecs)
        }
    }

    /// Pins each chunk's storage for the duration of the call by nesting the borrows, instead of escaping pointers.
    private func collectIOVecs(_ i: Int, _ count: Int, _ iovecs: UnsafeMutableBufferPointer<iovec>) -> Int {
        if i == count {
            let n = Glibc.writev(fd, iovecs.baseAddress, Int32(count))
            return n >= 0 ? n : -Int(clinux_errno())
        }
        let offset = i == 0 ? pendingHeadOffset : 0
        return pending[i].withUnsafeBytes { chunk in
            iovecs[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: chunk.baseAddress! + offset), iov_len: chunk.count - offset)
            return collectIOVecs(i + 1, count, iovecs)
        }
    }

    /// Drops `count` sent bytes from the head of the queue.
    func consume(_ count: Int) {
        var remaining = count
        bufferedBytes -= count
        if bufferedBytes == 0 {  // all of it (the usual case): the queue goes at once, without reading a chunk
            pending.removeAll()
            pendingHeadOffset = 0
            return
        }
        while remaining > 0 {
            let available = pending[0].count - pendingHeadOffset
            if remaining >= available {
                remaining -= available
                pending.removeFirst()
                pendingHeadOffset = 0
            } else {
                pendingHeadOffset += remaining
                remaining = 0
            }
        }
    }

    // MARK: Closing

    /// Closes after the queued bytes are sent (the default), or at once.
    public func close(flushFirst: Bool = true) {
        switch state {
        case .closed, .lingering, .closingAfterFlush: return
        case .open where flushFirst && bufferedBytes > 0:
            state = .closingAfterFlush
            updateInterest()
            scheduleFlush()
        case .open where flushFirst:
            beginLinger()
        default:
            closeNow(.closedLocally)
        }
    }

    /// Half-closes our side and drains the peer for a moment before releasing the socket (see `ConnectionLimits.lingerMs`).
    private func beginLinger() {
        // TLS too: after close_notify the peer may still be sending (a body we refused); draining the raw bytes keeps the
        // kernel from answering them with a reset that would destroy our last response.
        tls?.shutdown()
        state = .lingering
        Glibc.shutdown(fd, Int32(SHUT_WR))
        updateInterest()
        let timer = self.timer ?? LoopTimer { [unowned self] in self.closeNow(self.closeReason) }
        self.timer = timer
        loop.schedule(timer, afterMs: limits.lingerMs)
    }

    private func drainWhileLingering() {
        while true {
            let n = Glibc.read(fd, loop.receiveBuffer.baseAddress, loop.receiveBuffer.count)
            if n > 0 { continue }
            if n < 0 && (clinux_errno() == EAGAIN || clinux_errno() == EINTR) { return }
            closeNow(closeReason)
            return
        }
    }

    /// Releases everything now. Queued bytes are dropped.
    public func closeNow(_ reason: ConnectionCloseReason = .closedLocally) {
        guard state != .closed else { return }
        let wasConnecting = state == .connecting
        state = .closed
        if let timer { loop.cancel(timer) }
        timer = nil
        loop.unregister(fd)
        loop.connectionCount -= 1
        Glibc.close(fd)
        counter?.release()
        pending = WriteQueue()
        bufferedBytes = 0
        if wasConnecting, let onConnect {
            self.onConnect = nil
            onConnect(.failure(SystemError("connect", errno: ECONNREFUSED)))
        }
        let delegate = self.delegate
        self.delegate = nil
        delegate?.connectionDidClose(self, reason: reason)
    }

    // MARK: Interest

    func currentInterest() -> IOInterest {
        var interest: IOInterest = []
        switch state {
        case .closed: return []
        case .connecting: return .writable
        case .handshaking: return tlsHandshakeWant == .write ? .writable : .readable
        case .lingering: return .readable
        default:
            if !readPaused { interest.insert(.readable) }
            if waitingForWritable || tlsReadWantsWrite { interest.insert(.writable) }
            if tlsWriteWantsRead { interest.insert(.readable) }
        }
        return interest
    }

    var tlsHandshakeWant: TLSWant = .read

    func updateInterest() {
        guard state != .closed else { return }
        loop.setInterest(fd, currentInterest())
    }
}
