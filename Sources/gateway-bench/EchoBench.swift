import EventLoop
import Glibc
import Synchronization
import WebSocket

/// `ws-echo`: closed-loop echo. Every connection keeps `inFlight` messages outstanding; each echo records its latency and
/// sends the next message. Measures messages/s and latency over a window that starts after the warm-up.
struct EchoBench {
    let options: BenchOptions

    func run() -> Int32 {
        let fdLimit = System.raiseFileLimit()
        guard fdLimit >= options.connections + 64 else {
            System.printError("fd limit \(fdLimit) is too low for \(options.connections) connections; raise the hard limit (ulimit -Hn)")
            return 1
        }
        let group: EventLoopGroup
        do { group = try EventLoopGroup(count: options.loops) } catch {
            System.printError("cannot create loops: \(error)")
            return 1
        }
        let payloads = Payloads.make(size: options.size)
        let workers = group.loops.enumerated().map { index, loop in
            EchoWorker(loop: loop, options: options, payloads: payloads,
                       target: share(options.connections, part: index, of: options.loops),
                       maxPending: share(options.handshakes, part: index, of: options.loops))
        }
        group.start()
        // The loops hold unowned references to the workers: stop them before the workers go away, on every return.
        defer { withExtendedLifetime(workers) { group.shutdown() } }
        let openStart = System.monotonicNanoseconds()
        for worker in workers { worker.loop.execute { worker.start() } }

        // Connections send as soon as they are open: opening is part of the warm-up.
        while workers.reduce(0, { $0 + $1.opened.load(ordering: .relaxed) + $1.failed.load(ordering: .relaxed) }) < options.connections {
            if System.monotonicNanoseconds() - openStart > 120_000_000_000 {
                System.printError("connections still not open after 120 s")
                return 1
            }
            System.sleep(seconds: 0.01)
        }
        let opened = workers.reduce(0) { $0 + $1.opened.load(ordering: .relaxed) }
        let negotiated = workers.reduce(0) { $0 + $1.negotiated.load(ordering: .relaxed) }
        let openSeconds = Double(System.monotonicNanoseconds() - openStart) / 1e9
        System.progress("ws-echo: \(opened)/\(options.connections) connections open in \(format(openSeconds, 2)) s"
                        + (options.deflate ? ", permessage-deflate agreed on \(negotiated)" : ""))
        guard opened > 0 else {
            System.printError("no connection opened: \(workers.compactMap { $0.firstError.withLock { $0 } }.first ?? "?")")
            return 1
        }
        System.sleep(seconds: options.warmupSeconds)

        let clientCPU0 = System.cpuSeconds(pid: getpid())
        let serverCPU0 = options.serverPID.flatMap { System.cpuSeconds(pid: $0) }
        let wall0 = System.monotonicNanoseconds()
        for worker in workers { worker.loop.execute { worker.beginWindow() } }
        System.sleep(seconds: options.durationSeconds)
        for worker in workers { worker.loop.execute { worker.endWindow() } }
        while workers.contains(where: { $0.result.withLock { $0 == nil } }) { System.sleep(seconds: 0.001) }
        let wallSeconds = Double(System.monotonicNanoseconds() - wall0) / 1e9
        let clientCPU1 = System.cpuSeconds(pid: getpid())
        let serverCPU1 = options.serverPID.flatMap { System.cpuSeconds(pid: $0) }

        var histogram = LatencyHistogram()
        var messages: UInt64 = 0
        var rate = 0.0
        for worker in workers {
            let result = worker.result.withLock { $0! }
            histogram.merge(result.histogram)
            messages += result.messages
            rate += Double(result.messages) / result.seconds
        }
        let errors = workers.reduce(0) { $0 + $1.errors.load(ordering: .relaxed) + $1.failed.load(ordering: .relaxed) }
        let p50 = histogram.percentileUs(0.50), p99 = histogram.percentileUs(0.99), p999 = histogram.percentileUs(0.999)
        func cpuPercent(_ a: Double?, _ b: Double?) -> String {
            guard let a, let b else { return "null" }
            return format((b - a) / wallSeconds * 100, 0)
        }
        let clientCPU = cpuPercent(clientCPU0, clientCPU1), serverCPU = cpuPercent(serverCPU0, serverCPU1)

        print("""
            ws-echo \(options.host):\(options.port)\(options.path): \(opened) connections, \(options.size) B text, \
            in-flight \(options.inFlight), deflate \(options.deflate ? "on (agreed on \(negotiated))" : "off"), \
            \(options.loops) loop(s), \(format(options.durationSeconds, 1)) s after \(format(options.warmupSeconds, 1)) s warm-up
              messages      \(messages)  (\(format(rate, 0)) msg/s)
              latency       p50 \(p50) µs   p99 \(p99) µs   p99.9 \(p999) µs
              cpu           client \(clientCPU)%   server \(serverCPU)%   (100% = one core)
              errors        \(errors)
            """)
        print("{\"scenario\":\"ws-echo\",\"connections\":\(opened),\"size\":\(options.size),\"inFlight\":\(options.inFlight),"
              + "\"deflate\":\(options.deflate),\"deflateNegotiated\":\(negotiated),\"messages\":\(messages),"
              + "\"messagesPerSecond\":\(Int(rate.rounded())),\"p50us\":\(p50),\"p99us\":\(p99),\"p999us\":\(p999),"
              + "\"clientCpuPercent\":\(clientCPU),\"serverCpuPercent\":\(serverCPU),\"errors\":\(errors)}")
        return errors == 0 ? 0 : 3
    }
}

/// One loop's share of the connections. Loop-confined except the atomics and `result`, which the main thread reads.
final class EchoWorker: @unchecked Sendable {
    struct WindowResult: Sendable {
        var histogram: LatencyHistogram
        var messages: UInt64
        var seconds: Double
    }

    let loop: EventLoop
    let options: BenchOptions
    let payloads: [[UInt8]]
    let target: Int
    let maxPending: Int
    let opened = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let negotiated = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let firstError = Mutex<String?>(nil)
    let result = Mutex<WindowResult?>(nil)

    // Loop-confined.
    private var opener: ConnectionOpener?
    private var clients: [EchoClient] = []
    var histogram = LatencyHistogram()
    var messages: UInt64 = 0
    var measuring = false
    var stopping = false
    private var windowStart: UInt64 = 0

    init(loop: EventLoop, options: BenchOptions, payloads: [[UInt8]], target: Int, maxPending: Int) {
        self.loop = loop
        self.options = options
        self.payloads = payloads
        self.target = target
        self.maxPending = maxPending
    }

    func start() {
        guard target > 0 else { return }
        let opener = ConnectionOpener(
            loop: loop, options: options, configuration: ConnectionOpener.configuration(deflate: options.deflate), target: target,
            maxPending: maxPending,
            onOpen: { [unowned self] session in
                if session.negotiatedDeflate != nil { negotiated.add(1, ordering: .relaxed) }
                let client = EchoClient(worker: self, session: session, inFlight: options.inFlight,
                                        firstVariant: clients.count % Payloads.variants)
                clients.append(client)
                opened.add(1, ordering: .relaxed)
                client.begin()
            },
            onFailure: { [unowned self] error in
                firstError.withLock { if $0 == nil { $0 = error.description } }
                failed.add(1, ordering: .relaxed)
            })
        self.opener = opener
        opener.pump()
    }

    func beginWindow() {
        histogram.reset()
        messages = 0
        measuring = true
        windowStart = System.monotonicNanoseconds()
    }

    func endWindow() {
        let seconds = Double(System.monotonicNanoseconds() - windowStart) / 1e9
        measuring = false
        stopping = true
        result.withLock { $0 = WindowResult(histogram: histogram, messages: messages, seconds: seconds) }
    }

    func error(_ message: String) {
        errors.add(1, ordering: .relaxed)
        firstError.withLock { if $0 == nil { $0 = message } }
    }
}

/// One connection: a ring of send times (echoes come back in order), one send per echo received.
final class EchoClient {
    unowned let worker: EchoWorker
    let session: WebSocketSession
    private var sentAt: [UInt64]
    private var head = 0
    private var outstanding = 0
    private var variant: Int

    init(worker: EchoWorker, session: WebSocketSession, inFlight: Int, firstVariant: Int) {
        self.worker = worker
        self.session = session
        sentAt = [UInt64](repeating: 0, count: inFlight)
        variant = firstVariant
    }

    func begin() {
        session.onTextBytes = { [unowned self] bytes in received(bytes) }
        session.onBinary = { [unowned self] _ in worker.error("unexpected binary message") }
        session.onClose = { [unowned self] info in
            if !worker.stopping { worker.error("connection closed during the run: \(info)") }
        }
        for _ in 0..<sentAt.count { send() }
    }

    @inline(__always)
    private func send() {
        let payload = worker.payloads[variant]
        variant = (variant + 1) % Payloads.variants
        sentAt[(head + outstanding) % sentAt.count] = System.monotonicNanoseconds()
        outstanding += 1
        session.sendText(utf8: payload)
    }

    private func received(_ bytes: [UInt8]) {
        guard outstanding > 0 else { worker.error("echo without a request"); return }
        let elapsed = System.monotonicNanoseconds() &- sentAt[head]
        head = (head + 1) % sentAt.count
        outstanding -= 1
        if bytes.count != worker.options.size { worker.error("echo of \(bytes.count) bytes, sent \(worker.options.size)") }
        if worker.measuring {
            worker.histogram.record(nanoseconds: elapsed)
            worker.messages &+= 1
        }
        if !worker.stopping { send() }
    }
}

func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if decimals == 0 { return String(Int(rounded)) }
    let whole = Int(rounded.rounded(.towardZero))
    var fraction = String(Int((abs(rounded - Double(whole)) * scale).rounded()))
    while fraction.count < decimals { fraction = "0" + fraction }
    return "\(rounded < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)"
}
