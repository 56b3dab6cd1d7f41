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
        for connector in run.connectors {
            connector.onConnected = { [unowned connector] _, socket, _ in
                for _ in 0..<inFlight { Self.send(event, socket, payload, connector) }
            }
        }
        guard let openSeconds = run.openAll(target: options.connections) else { return 1 }
        System.progress("\(event): \(run.opened)/\(options.connections) connected in \(format(openSeconds, 2)) s")
        let (rate, count, clientCPU, serverCPU) = run.measure()
        let histogram = run.mergedHistogram()
        let failures = run.failed + run.dropped
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
