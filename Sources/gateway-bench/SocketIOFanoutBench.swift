import EventLoop
import GatewayProtocol
import Synchronization
import SocketIOClient

/// `fanout`: R receivers join one room; one more connection (the sender, also in the room) emits `broadcast {room,
/// payload}` at --rate per second, or saturated (--rate 0: --in-flight broadcasts outstanding, the next sent when the
/// sender gets one of its own back). Each receiver takes the delivery latency from the send time in the payload (sender and
/// receivers share this process's monotonic clock). Deliveries/s and latency over the window; lost = sent × R − delivered,
/// counted over the whole run after a drain.
struct SocketIOFanoutBench {
    let options: SocketIOBenchOptions

    func run() -> Int32 {
        guard let run = SocketIORun(options: options, scenario: "fanout") else { return 1 }
        defer { run.shutdown() }
        let room = options.room
        let joined = Atomic<Int>(0)
        let fullClient = options.fullClient
        for connector in run.connectors {
            connector.onConnected = { [unowned connector] client, socket, _ in
                if fullClient {
                    socket.on("bcast") { [unowned connector, unowned socket] arguments, _ in
                        guard let sentAt = arguments.first?["t"]?.intValue else { return }
                        Self.received(sentAt: sentAt, by: socket, connector)
                    }
                }
                socket.emitWithAck("join", arguments: [.string(room)]) { [unowned connector, unowned client] result in
                    guard case .success = result else { return connector.note("join: \(result)") }
                    if !fullClient {
                        // Nothing else is in flight now: the broadcasts start once every socket has joined.
                        guard let wire = connector.adopt(client) else { return }
                        wire.onEvent = { [unowned connector, unowned wire] event in
                            guard let sentAt = FanoutPackets.timestamp(in: event) else {
                                connector.failed.add(1, ordering: .relaxed)
                                return connector.note("fanout: unexpected event \(String(decoding: event, as: UTF8.self))")
                            }
                            Self.received(sentAt: sentAt, by: wire, connector)
                        }
                    }
                    joined.add(1, ordering: .relaxed)
                }
            }
        }
        let receivers = options.connections
        guard let openSeconds = run.openAll(target: receivers, extra: 1) else { return 1 }
        while joined.load(ordering: .relaxed) < run.opened && run.failed == 0 { System.sleep(seconds: 0.01) }
        System.progress("fanout: \(run.opened) connected and joined in \(format(openSeconds, 2)) s")

        let pad = String(decoding: Payloads.make(size: options.size)[0], as: UTF8.self)
        let first = run.connectors[0]
        let rate = options.rate, inFlight = options.inFlight
        run.onEveryLoop { connector in
            guard connector === first, let client = connector.clients.last else { return }
            let sender: BroadcastSender
            if fullClient {
                sender = BroadcastSender(fullClient: client.socket("/"), room: room, pad: pad)
            } else {
                guard let wire = connector.wire(of: client) else { return }
                sender = BroadcastSender(wire: wire, packets: FanoutPackets(room: room, pad: pad))
            }
            connector.sender = sender
            sender.start(rate: rate, inFlight: inFlight)
        }
        let (deliveryRate, count, clientCPU, serverCPU) = run.measure()
        let histogram = run.mergedHistogram()
        run.onEveryLoop { connector in connector.sender?.stop() }
        System.sleep(seconds: 2)  // drain: whatever is still on its way arrives or is lost
        let sentCount = Mutex(0)
        run.onEveryLoop { connector in if let sender = connector.sender { sentCount.withLock { $0 += sender.sent } } }
        let totalSent = sentCount.withLock { $0 }
        let delivered = run.connectors.reduce(0) { $0 + $1.delivered.load(ordering: .relaxed) }
        let lost = max(0, totalSent * receivers - delivered)
        let failures = run.failed + run.dropped
        let p50 = histogram.percentileUs(0.5), p90 = histogram.percentileUs(0.9), p99 = histogram.percentileUs(0.99)
        print("""
            fanout \(options.url): \(receivers) receivers in one room, \(rate == 0 ? "saturated (\(inFlight) in flight)" : "\(rate) broadcasts/s"), \
            \(options.size) B pad, \(format(options.durationSeconds, 1)) s after \(format(options.warmupSeconds, 1)) s warm-up
              deliveries    \(count)  (\(format(deliveryRate, 0)) deliveries/s)
              latency       p50 \(p50) µs   p90 \(p90) µs   p99 \(p99) µs
              sent          \(totalSent) broadcasts in the run, \(delivered) deliveries, lost \(lost)
              cpu           client \(clientCPU)%   server \(serverCPU)%   (100% = one core)
              errors        \(failures)\(run.firstError.map { " (first: \($0))" } ?? "")
            """)
        print("{\"scenario\":\"fanout\",\"receivers\":\(receivers),\"rate\":\(rate),\"inFlight\":\(inFlight),\"size\":\(options.size),"
              + "\"deliveries\":\(count),\"deliveriesPerSecond\":\(Int(deliveryRate.rounded())),\"p50us\":\(p50),\"p90us\":\(p90),"
              + "\"p99us\":\(p99),\"sent\":\(totalSent),\"lost\":\(lost),\"clientCpuPercent\":\(clientCPU),"
              + "\"serverCpuPercent\":\(serverCPU),\"errors\":\(failures)}")
        return failures == 0 && lost == 0 ? 0 : 3
    }

    /// A `bcast` arrived at `receiver` (a socket or a wire): the sender's own copy releases its next broadcast; any
    /// other is a delivery.
    private static func received(sentAt: Int, by receiver: AnyObject, _ connector: SocketIOConnector) {
        let now = System.monotonicNanoseconds()
        if let sender = connector.sender, sender.identity === receiver {
            sender.ownBroadcastReturned()
            return
        }
        connector.delivered.add(1, ordering: .relaxed)
        if connector.measuring {
            connector.histogram.record(nanoseconds: now &- UInt64(sentAt))
            connector.events &+= 1
        }
    }
}

/// The pre-encoded broadcast, `42["broadcast",{"room":…,"payload":{"t":<now>,"pad":…}}]` = `head` + t + `tail`, and the
/// scan of a received `bcast` for its `t`.
struct FanoutPackets {
    let head: [UInt8]
    let tail: [UInt8]

    init(room: String, pad: String) {
        head = Array(#"42["broadcast",{"room":"#.utf8) + JSONValue.string(room).serialized + Array(#","payload":{"t":"#.utf8)
        tail = Array(#","pad":"#.utf8) + JSONValue.string(pad).serialized + Array("}}]".utf8)
    }

    private static let name = Array(#"["bcast","#.utf8)
    private static let key = Array(#""t":"#.utf8)

    /// `t` of `["bcast",{…"t":<digits>…}]`. The first `"t":` after the name is the payload's own key: inside a JSON string
    /// a quote is escaped, so `"t":` cannot occur there.
    static func timestamp(in event: UnsafeRawBufferPointer) -> Int? {
        guard event.count > name.count, UnsafeRawBufferPointer(rebasing: event[0..<name.count]).equals(name) else { return nil }
        var index = name.count
        while index + key.count <= event.count {
            if event[index] == key[0], UnsafeRawBufferPointer(rebasing: event[index..<(index + key.count)]).equals(key) {
                index += key.count
                var value = 0, digits = 0
                while index < event.count, event[index] >= UInt8(ascii: "0"), event[index] <= UInt8(ascii: "9") {
                    value = value &* 10 &+ Int(event[index] - UInt8(ascii: "0"))
                    index += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            index += 1
        }
        return nil
    }
}

/// The one connection that broadcasts (through the full client or its wire). Loop-confined.
final class BroadcastSender {
    /// The socket or wire on which its own broadcasts come back.
    let identity: AnyObject
    private let loop: EventLoop
    private let emit: (Int) -> Void
    private(set) var sent = 0
    private var timer: LoopTimer?
    private var stopped = false
    private var rate = 0
    private var startedAt: UInt64 = 0
    private var outstanding = 0

    init(wire: SocketIOWire, packets: FanoutPackets) {
        identity = wire
        loop = wire.loop
        emit = { [unowned wire] t in wire.send(packets.head, t, packets.tail) }
    }

    init(fullClient socket: SocketIOClientSocket, room: String, pad: String) {
        identity = socket
        loop = socket.loop
        emit = { [unowned socket] t in
            var payload = JSONObject(minimumCapacity: 2)
            payload["t"] = .int(t)
            payload["pad"] = .string(pad)
            var request = JSONObject(minimumCapacity: 2)
            request["room"] = .string(room)
            request["payload"] = .object(payload)
            socket.emit("broadcast", .object(request))
        }
    }

    func start(rate: Int, inFlight: Int) {
        self.rate = rate
        startedAt = System.monotonicNanoseconds()
        if rate == 0 {
            for _ in 0..<inFlight { send() }
        } else {
            tick()
        }
    }

    /// Rate mode: every millisecond, sends what is due since the start (so a late tick catches up).
    private func tick() {
        guard !stopped else { return }
        let due = Int(Double(System.monotonicNanoseconds() - startedAt) / 1e9 * Double(rate))
        while sent < due { send() }
        timer = loop.scheduleTimer(afterMs: 1) { [weak self] in self?.tick() }
    }

    func ownBroadcastReturned() {
        outstanding -= 1
        if rate == 0 && !stopped { send() }
    }

    private func send() {
        emit(Int(System.monotonicNanoseconds()))
        sent += 1
        outstanding += 1
    }

    func stop() {
        stopped = true
        if let timer, timer.isArmed { loop.cancel(timer) }
    }
}
