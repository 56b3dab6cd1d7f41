import EventLoop
import HTTP

public protocol EngineIOSocketDelegate: AnyObject {
    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage)
    /// Called once. Reasons as the official server: "transport close", "transport error", "ping timeout", "parse error",
    /// "forced close" (our `close()`), and "server shutting down" (`EngineIOServer.closeAll()`).
    func engineSocketDidClose(_ socket: EngineIOSocket, reason: String)
}

/// What a socket queues for its transport: a packet, or a broadcast encoded once for every recipient.
enum EngineIOOutgoing: Sendable {
    case packet(EngineIOPacket)
    case prepared(EngineIOPreparedMessage)
}

/// One Engine.IO session (the official `Socket`): the write buffer, the heartbeat, the current transport and the
/// polling → WebSocket upgrade. Loop-confined: every method is called on `loop`, and so is the delegate.
public final class EngineIOSocket {
    public let id: String
    public let loop: EventLoop
    public let handshake: EngineIOHandshake
    /// Held strongly until the socket closes (then dropped): a weak reference would give the delegate a side table,
    /// an allocation for the connection's life and a slower reference count on every call.
    public var delegate: EngineIOSocketDelegate?

    enum ReadyState { case open, closing, closed }
    private(set) var readyState = ReadyState.open
    /// Strong: the server outlives its sessions, and an unowned reference costs a runtime check on every use (a slow
    /// one here: the server is also weakly referenced, so it has a side table).
    let server: EngineIOServer
    /// The server's, read through it rather than copied into every socket.
    private var configuration: EngineIOConfiguration { server.configuration }
    private(set) var transport: EngineIOTransport
    private var writeBuffer: [EngineIOOutgoing] = []
    /// `close()` waits for the write buffer to reach the transport first.
    private var closeAfterDrain = false

    /// The heartbeat, kept by the loop's `EngineIOHeartbeats` (no timer object per session).
    var heartbeatPhase = EngineIOHeartbeats.Phase.idle
    var heartbeatDeadlineMs: UInt64 = 0
    var heartbeatNext: EngineIOSocket?
    unowned(unsafe) var heartbeatPrevious: EngineIOSocket?
    private var heartbeats: EngineIOHeartbeats { server.heartbeats[loop.index] }

    /// An upgrade in progress (polling → websocket), from the WebSocket's arrival to its end; a session that started
    /// on WebSocket never makes one.
    private final class Upgrade {
        let candidate: EngineIOTransport
        let timer: LoopTimer
        var probed = false
        init(candidate: EngineIOTransport, timer: LoopTimer) {
            self.candidate = candidate
            self.timer = timer
        }
    }
    private var upgrade: Upgrade?
    private(set) var upgraded = false
    var upgrading: Bool { upgrade != nil }
    var upgradeCandidate: EngineIOTransport? { upgrade?.candidate }

    init(id: String, server: EngineIOServer, loop: EventLoop, handshake: EngineIOHandshake, transport: EngineIOTransport) {
        self.id = id
        self.server = server
        self.loop = loop
        self.handshake = handshake
        self.transport = transport
        transport.socket = self
    }

    public var transportName: String { transport.name }

    /// False while the transport is backed up: a producer should pause (sending anyway is allowed; memory grows).
    public var isWritable: Bool { readyState == .open && transport.isWritable && writeBuffer.count < 4096 }

    // MARK: Sending

    public func send(_ message: EngineIOMessage) {
        server.traffic.countOut(message)
        sendPacket(.packet(.message(message)))
    }

    /// A text message that `body` appends, written straight into the transport's frame when nothing is queued ahead of
    /// it (the usual case over WebSocket: no message array, no copies between layers); otherwise built and queued as
    /// `send(_:)` does.
    public func sendText(writing body: (inout [UInt8]) -> Void) {
        guard readyState == .open else { return }
        if writeBuffer.isEmpty, let count = transport.sendText(writing: body) {
            server.traffic.countOut(textBytes: count)
            return
        }
        var bytes: [UInt8] = []
        body(&bytes)
        send(.text(bytes))
    }

    public func send(_ prepared: EngineIOPreparedMessage) {
        server.traffic.countOut(textBytes: prepared.payloadCount)
        sendPacket(.prepared(prepared))
    }

    /// Graceful close: what is queued is delivered, then the transport closes (polling: a close packet in the next
    /// poll, at the latest after 30 s; websocket: a Close frame). The delegate hears "forced close".
    public func close() {
        guard readyState == .open else { return }
        readyState = .closing
        if !writeBuffer.isEmpty {
            closeAfterDrain = true
            flush()
            return
        }
        closeTransport(discard: false, reason: "forced close")
    }

    /// Closes without waiting for a poll (`close(true)` in the official server).
    func closeDiscarding(reason: String) {
        guard readyState != .closed else { return }
        closeTransport(discard: true, reason: reason)
    }

    func open() {
        let upgrades = transport.name == "polling" ? server.upgrades : []
        let json = EngineIOCodec.openPacketJSON(sid: id, upgrades: upgrades, pingInterval: configuration.pingIntervalMs,
                                                pingTimeout: configuration.pingTimeoutMs, maxPayload: configuration.maxPayload)
        sendPacket(.packet(.open(json)))
        schedulePing()
    }

    func sendPacket(_ packet: EngineIOOutgoing) {
        guard readyState == .open else { return }
        // Nothing queued ahead and the transport can take it (always, over WebSocket): straight through, without a
        // buffer array per packet (a broadcast pays this once per recipient).
        // One read of the transport for both calls: each read of the property retains it for the call.
        let transport = self.transport
        if writeBuffer.isEmpty && transport.canSend { return transport.send(packet) }
        writeBuffer.append(packet)
        flush()
    }

    /// Hands the whole write buffer to the transport when it can take it (polling: a GET is waiting).
    func flush() {
        guard readyState != .closed, transport.canSend, !writeBuffer.isEmpty else { return }
        let packets = writeBuffer
        writeBuffer = []
        transport.send(packets)
        if closeAfterDrain && writeBuffer.isEmpty {
            closeAfterDrain = false
            closeTransport(discard: false, reason: "forced close")
        }
    }

    private func closeTransport(discard: Bool, reason: String) {
        if discard { transport.discard() }
        transport.close { [self] in onClose(reason) }
    }

    // MARK: Heartbeat

    private func schedulePing() {
        heartbeats.arm(self, .waitingToPing, deadlineMs: loop.nowMs &+ UInt64(configuration.pingIntervalMs))
    }

    func heartbeatFired(phase: EngineIOHeartbeats.Phase) {
        guard readyState != .closed else { return }
        switch phase {
        case .waitingToPing:
            sendPacket(.packet(.ping([])))
            // Counted from when the ping was due, not from when a busy loop got to it: the client's view of time.
            heartbeats.arm(self, .waitingForPong, deadlineMs: heartbeatDeadlineMs &+ UInt64(configuration.pingTimeoutMs))
        case .waitingForPong:
            onClose("ping timeout")
        case .idle:
            break
        }
    }

    /// True (and the session closed) when the pong is overdue but the timer has not run yet: a request handled in the
    /// same loop iteration as the expiry must not find the session alive.
    func closeIfPingTimedOut() -> Bool {
        guard readyState != .closed else { return true }
        guard heartbeatPhase == .waitingForPong, loop.nowMs >= heartbeatDeadlineMs else { return false }
        onClose("ping timeout")
        return true
    }

    // MARK: From transports

    /// A packet from `from`, which is either the current transport or an upgrade candidate.
    func transport(_ from: EngineIOTransport, didReceive packet: EngineIOPacket?) {
        if let upgrade, from === upgrade.candidate {
            candidatePacket(packet, upgrade)
            return
        }
        guard from === transport, readyState != .closed else { return }
        guard let packet else {
            onClose("parse error")
            return
        }
        switch packet {
        case .ping:
            // v4: the server pings, never the client.
            onClose("transport error")
        case .pong:
            schedulePing()
        case .message(let message):
            server.traffic.countIn(message)
            delegate?.engineSocket(self, didReceive: message)
        case .close:
            from.onPeerClose()
        case .open, .upgrade, .noop:
            break
        }
    }

    func transportDidClose(_ from: EngineIOTransport, error: Bool) {
        if from === upgrade?.candidate {
            cancelUpgrade(closeCandidate: false)
            return
        }
        guard from === transport else { return }
        onClose(error ? "transport error" : "transport close")
    }

    /// The polling transport got a new GET: it can take the buffer; during an upgrade it is answered with a noop.
    func transportReady(_ from: EngineIOTransport) {
        guard from === transport else { return }
        flush()
        if upgrade?.probed == true && transport.canSend { transport.send([.packet(.noop)]) }
    }

    // MARK: Upgrade

    /// A WebSocket arrived for this sid. Accepted once, while on polling; otherwise closed (as the official server).
    func maybeUpgrade(_ newTransport: EngineIOTransport) {
        newTransport.socket = self
        guard readyState == .open, upgrade == nil, !upgraded, transport.name == "polling" else {
            newTransport.close {}
            return
        }
        // Unowned: cancelled when the upgrade ends, which the socket's close also does.
        let timer = LoopTimer { [unowned self] in cancelUpgrade(closeCandidate: true) }
        upgrade = Upgrade(candidate: newTransport, timer: timer)
        loop.schedule(timer, afterMs: UInt64(configuration.upgradeTimeoutMs))
    }

    private func candidatePacket(_ packet: EngineIOPacket?, _ upgrade: Upgrade) {
        let candidate = upgrade.candidate
        switch packet {
        case .ping(let data) where data == EngineIOPacket.probe:
            if (candidate as? EngineIOWebSocketTransport)?.answeredProbesLocally != true {
                candidate.send([.packet(.pong(EngineIOPacket.probe))])
            }
            upgrade.probed = true
            // Force the pending poll to complete so the client can pause polling and send `5`.
            if transport.canSend { transport.send([.packet(.noop)]) }
        case .upgrade where readyState != .closed:
            cancelUpgrade(closeCandidate: false)
            let old = transport
            upgraded = true
            transport = candidate
            server.webSocketSessions.wrappingAdd(1, ordering: .relaxed)
            // A poll still in flight is completed with a noop; later polls for this sid get 400 (transport mismatch).
            old.retire()
            old.socket = nil
            flush()
            if readyState == .closing && !closeAfterDrain {
                transport.close { [self] in onClose("forced close") }
            }
        default:
            cancelUpgrade(closeCandidate: true)
        }
    }

    private func cancelUpgrade(closeCandidate: Bool) {
        guard let upgrade else { return }
        self.upgrade = nil
        if upgrade.timer.isArmed { loop.cancel(upgrade.timer) }
        if closeCandidate {
            upgrade.candidate.close {}
            upgrade.candidate.socket = nil
        }
    }

    // MARK: Closing

    func onClose(_ reason: String) {
        guard readyState != .closed else { return }
        readyState = .closed
        heartbeats.disarm(self)
        cancelUpgrade(closeCandidate: true)
        writeBuffer = []
        closeAfterDrain = false
        transport.close {}
        transport.socket = nil
        server.remove(self)
        delegate?.engineSocketDidClose(self, reason: reason)
        delegate = nil
    }
}
