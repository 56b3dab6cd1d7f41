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
        for connector in run.connectors {
            connector.onConnected = { [unowned connector] _, socket, _ in
                socket.on("bcast") { [unowned connector] arguments, _ in
                    guard let sentAt = arguments.first?["t"]?.intValue else { return }
                    let now = System.monotonicNanoseconds()
                    if let sender = connector.sender, sender.socket === socket {
                        sender.ownBroadcastReturned()
                        return
                    }
                    connector.delivered.add(1, ordering: .relaxed)
                    if connector.measuring {
                        connector.histogram.record(nanoseconds: now &- UInt64(sentAt))
                        connector.events &+= 1
                    }
                }
                socket.emitWithAck("join", arguments: [.string(room)]) { result in
                    if case .success = result { joined.add(1, ordering: .relaxed) } else { connector.note("join: \(result)") }
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
            let sender = BroadcastSender(socket: client.socket("/"), room: room, pad: pad)
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
}

/// The one connection that broadcasts. Loop-confined.
final class BroadcastSender {
    let socket: SocketIOClientSocket
    let room: String
    let pad: String
    private(set) var sent = 0
    private var timer: LoopTimer?
    private var stopped = false
    private var rate = 0
    private var startedAt: UInt64 = 0
    private var outstanding = 0

    init(socket: SocketIOClientSocket, room: String, pad: String) {
        self.socket = socket
        self.room = room
        self.pad = pad
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
        timer = socket.loop.scheduleTimer(afterMs: 1) { [weak self] in self?.tick() }
    }

    func ownBroadcastReturned() {
        outstanding -= 1
        if rate == 0 && !stopped { send() }
    }

    private func send() {
        var payload = JSONObject(minimumCapacity: 2)
        payload["t"] = .int(Int(System.monotonicNanoseconds()))
        payload["pad"] = .string(pad)
        var request = JSONObject(minimumCapacity: 2)
        request["room"] = .string(room)
        request["payload"] = .object(payload)
        socket.emit("broadcast", .object(request))
        sent += 1
        outstanding += 1
    }

    func stop() {
        stopped = true
        if let timer, timer.isArmed { socket.loop.cancel(timer) }
    }
}
