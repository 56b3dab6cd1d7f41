import EventLoop
import GatewayProtocol
import Synchronization
import SocketIOClient

/// Opens `target` Socket.IO connections (namespace `/`) from one loop, at most `maxPending` at a time, and reports each
/// with its connect latency (Engine.IO open + Socket.IO CONNECT). Loop-confined except the counters.
final class SocketIOConnector: @unchecked Sendable {
    let loop: EventLoop
    let clientOptions: SocketIOClient.Options
    /// CONNECT payloads, used in turn (empty: none).
    let auths: [JSONObject]
    private(set) var target: Int
    private(set) var maxPending: Int
    let opened = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let disconnected = Atomic<Int>(0)
    let firstError = Mutex<String?>(nil)
    /// The scenario's samples on this loop (connect, ack or delivery latency), and its count of events in the window.
    var histogram = LatencyHistogram()
    var measuring = false
    /// fanout: broadcasts received over the whole run (read by the main thread at the end), and the sender if it lives here.
    let delivered = Atomic<Int>(0)
    var sender: BroadcastSender?
    var events: UInt64 = 0
    var windowStart: UInt64 = 0
    var windowSeconds = 0.0
    var onConnected: ((SocketIOClient, SocketIOClientSocket, UInt64) -> Void)?
    /// Set once the run is over, so that the sockets' closing is not reported as a failure.
    var stopping = false
    private(set) var clients: [SocketIOClient] = []
    /// The connections taken over for the hot path (`adopt`), by client; they share this loop's mask keys.
    private(set) var wires: [ObjectIdentifier: SocketIOWire] = [:]
    private let masks = MaskKeys()
    private var started = 0
    private var pending = 0

    init(loop: EventLoop, clientOptions: SocketIOClient.Options, auths: [JSONObject], target: Int, maxPending: Int) {
        self.loop = loop
        self.clientOptions = clientOptions
        self.auths = auths
        self.target = target
        self.maxPending = max(1, maxPending)
    }

    func configure(target: Int, maxPending: Int) {
        self.target = target
        self.maxPending = max(1, maxPending)
        pump()
    }

    func pump() {
        while pending < maxPending && started < target {
            started += 1
            pending += 1
            let client = SocketIOClient(options: clientOptions, loop: loop)
            clients.append(client)
            let socket = client.socket("/", auth: auths.isEmpty ? nil : auths[(started - 1) % auths.count])
            let begin = System.monotonicNanoseconds()
            socket.onConnect = { [unowned self, unowned client, unowned socket] in
                pending -= 1
                opened.add(1, ordering: .relaxed)
                onConnected?(client, socket, System.monotonicNanoseconds() - begin)
                socket.onConnect = nil
                pump()
            }
            socket.onConnectError = { [unowned self] error in
                pending -= 1
                failed.add(1, ordering: .relaxed)
                note(error.description)
                pump()
            }
            socket.onDisconnect = { [unowned self] reason in
                guard !stopping else { return }
                disconnected.add(1, ordering: .relaxed)
                note("disconnected during the run: \(reason)")
            }
            socket.connect()
        }
    }

    func beginWindow() {
        histogram.reset()
        events = 0
        measuring = true
        windowStart = System.monotonicNanoseconds()
    }

    func endWindow() {
        measuring = false
        windowSeconds = Double(System.monotonicNanoseconds() - windowStart) / 1e9
    }

    /// Takes the client's connected WebSocket for the bench's own hot path (`SocketIOWire`); a wire that closes during
    /// the run counts as a dropped connection. nil (noted as a failure) when the client cannot hand it over.
    func adopt(_ client: SocketIOClient) -> SocketIOWire? {
        guard let session = client.handOverWebSocket() else {
            failed.add(1, ordering: .relaxed)
            note("the client could not hand over its WebSocket")
            return nil
        }
        let wire = SocketIOWire(session: session, masks: masks)
        wire.onClose = { [unowned self] reason in
            guard !stopping else { return }
            disconnected.add(1, ordering: .relaxed)
            note("disconnected during the run: \(reason)")
        }
        wires[ObjectIdentifier(client)] = wire
        return wire
    }

    func wire(of client: SocketIOClient) -> SocketIOWire? { wires[ObjectIdentifier(client)] }

    func note(_ message: String) { firstError.withLock { if $0 == nil { $0 = message } } }

    func closeAll() {
        stopping = true
        for client in clients { client.close() }
        for wire in wires.values { wire.close() }
    }
}
