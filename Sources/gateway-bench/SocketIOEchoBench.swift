import EventLoop
import GatewayProtocol
import SocketIOClient

/// `echo`: C connections, each with K `echo` events outstanding (emitWithAck; the server acks with the same arguments);
/// each ack records its round trip and sends the next. Acks/s and latency over a window after the warm-up.
/// `persist`: the same with the bench module's `persist` event, acknowledged after its row is committed.
struct SocketIOEchoBench {
    let options: SocketIOBenchOptions
    var event = "echo"

    func run() -> Int32 {
        guard let run = SocketIORun(options: options, scenario: event) else { return 1 }
        defer { run.shutdown() }
        let payload = JSONValue.string(String(decoding: Payloads.make(size: options.size)[0], as: UTF8.self))
        let inFlight = options.inFlight
        let event = self.event
        let fullClient = options.fullClient
        let packets = EchoPackets(event: event, payload: payload)
        for connector in run.connectors {
            connector.onConnected = { [unowned connector] client, socket, _ in
                if fullClient {
                    for _ in 0..<inFlight { Self.send(event, socket, payload, connector) }
                } else if let wire = connector.adopt(client) {
                    EchoLane(wire: wire, packets: packets, inFlight: inFlight, connector: connector).start()
                }
            }
        }
        guard let openSeconds = run.openAll(target: options.connections) else { return 1 }
        System.progress("\(event): \(run.opened)/\(options.connections) connected in \(format(openSeconds, 2)) s")
        let (rate, count, clientCPU, serverCPU) = run.measure()
        let histogram = run.mergedHistogram()
        // The hot path sets no ack timeout: a server that stops answering shows as an empty window, counted as an error.
        if count == 0 { run.connectors[0].note("\(event): no ack in the window") }
        let failures = run.failed + run.dropped + (count == 0 ? 1 : 0)
        let p50 = histogram.percentileUs(0.5), p90 = histogram.percentileUs(0.9), p99 = histogram.percentileUs(0.99)
        print("""
            \(event) \(options.url): \(run.opened) connections × \(inFlight) in flight, \(options.size) B string, \
            \(format(options.durationSeconds, 1)) s after \(format(options.warmupSeconds, 1)) s warm-up
              acks          \(count)  (\(format(rate, 0)) acks/s)
              round trip    p50 \(p50) µs   p90 \(p90) µs   p99 \(p99) µs
              cpu           client \(clientCPU)%   server \(serverCPU)%   (100% = one core)
              errors        \(failures)\(run.firstError.map { " (first: \($0))" } ?? "")
            """)
        print("{\"scenario\":\"\(event)\",\"connections\":\(run.opened),\"inFlight\":\(inFlight),\"size\":\(options.size),"
              + "\"acks\":\(count),\"acksPerSecond\":\(Int(rate.rounded())),\"p50us\":\(p50),\"p90us\":\(p90),\"p99us\":\(p99),"
              + "\"clientCpuPercent\":\(clientCPU),\"serverCpuPercent\":\(serverCPU),\"errors\":\(failures)}")
        return failures == 0 ? 0 : 3
    }

    /// The full client's path (--full-client).
    private static func send(_ event: String, _ socket: SocketIOClientSocket, _ payload: JSONValue, _ connector: SocketIOConnector) {
        let sentAt = System.monotonicNanoseconds()
        socket.emitWithAck(event, arguments: [payload]) { [unowned socket, unowned connector] result in
            // echo answers with the payload; persist with the new row's id.
            guard case .success(let answer) = result, event == "echo" ? answer.first == payload : answer.first?.intValue != nil else {
                if !connector.stopping {
                    connector.failed.add(1, ordering: .relaxed)
                    connector.note("\(event): \(result)")
                }
                return
            }
            if connector.measuring {
                connector.histogram.record(nanoseconds: System.monotonicNanoseconds() - sentAt)
                connector.events &+= 1
            }
            if !connector.stopping { send(event, socket, payload, connector) }
        }
    }
}

/// The pre-encoded pieces of the scenario's packets: `42<id>["echo",payload]` is `head` + id + `tail`.
struct EchoPackets: Sendable {
    let head: [UInt8] = Array("42".utf8)
    let tail: [UInt8]
    /// The ack's arguments for echo (`[payload]`); nil for persist (one integer, the new row's id).
    let expected: [UInt8]?
    let event: String

    init(event: String, payload: JSONValue) {
        self.event = event
        tail = JSONValue.array([.string(event), payload]).serialized
        expected = event == "echo" ? JSONValue.array([payload]).serialized : nil
    }
}

/// One connection's closed loop on the bench's hot path: `inFlight` events outstanding, each ack checked (echo: the same
/// bytes back; persist: `[<integer>]`), timed, and answered with the next event. No timer, closure or dictionary entry
/// per event: send times sit in a ring indexed by the ack id. Loop-confined; kept alive by its wire's handler.
final class EchoLane {
    private unowned let wire: SocketIOWire
    private unowned let connector: SocketIOConnector
    private let packets: EchoPackets
    private let inFlight: Int
    private var sentAt: [UInt64]
    private var ids: [Int]
    private let slotMask: Int
    private var nextID = 0

    init(wire: SocketIOWire, packets: EchoPackets, inFlight: Int, connector: SocketIOConnector) {
        self.wire = wire
        self.connector = connector
        self.packets = packets
        self.inFlight = inFlight
        var slots = 1
        while slots < inFlight { slots <<= 1 }
        slotMask = slots - 1
        sentAt = Array(repeating: 0, count: slots)
        ids = Array(repeating: -1, count: slots)
    }

    func start() {
        wire.onAck = { [self] id, arguments in acked(id, arguments) }
        for _ in 0..<inFlight { send() }
    }

    private func send() {
        let id = nextID
        nextID &+= 1
        sentAt[id & slotMask] = System.monotonicNanoseconds()
        ids[id & slotMask] = id
        wire.send(packets.head, id, packets.tail)
    }

    private func acked(_ id: Int, _ arguments: UnsafeRawBufferPointer) {
        let slot = id & slotMask
        guard ids[slot] == id, valid(arguments) else {
            if !connector.stopping {
                connector.failed.add(1, ordering: .relaxed)
                connector.note("\(packets.event): unexpected ack \(id): \(String(decoding: arguments, as: UTF8.self))")
            }
            return
        }
        ids[slot] = -1
        if connector.measuring {
            connector.histogram.record(nanoseconds: System.monotonicNanoseconds() - sentAt[slot])
            connector.events &+= 1
        }
        if !connector.stopping { send() }
    }

    private func valid(_ arguments: UnsafeRawBufferPointer) -> Bool {
        if let expected = packets.expected { return arguments.equals(expected) }
        // persist: `[<digits>]`
        guard arguments.count >= 3, arguments.last == UInt8(ascii: "]") else { return false }
        return arguments.dropFirst().dropLast().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
