import Glibc

/// `gateway-bench`: load generator for the gateway, on the project's own clients and event loop.
/// WebSocket scenarios: `ws-echo` (throughput and latency) and `ws-idle` (server memory per open connection).
/// Socket.IO scenarios: `connect` (connect latency, memory per connection), `echo` (acks/s, round trip), `fanout` (room
/// broadcast deliveries/s and delivery latency).
nonisolated func main() -> Int32 {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let scenario = arguments.first, ["connect", "echo", "persist", "fanout"].contains(scenario) {
        let options: SocketIOBenchOptions
        do { options = try SocketIOBenchOptions.parse(Array(arguments.dropFirst()), scenario: scenario) } catch {
            System.printError("\(error)\n\(BenchOptions.usage)\(SocketIOBenchOptions.usage)")
            return 2
        }
        switch scenario {
        case "connect": return SocketIOConnectBench(options: options).run()
        case "echo": return SocketIOEchoBench(options: options).run()
        case "persist": return SocketIOEchoBench(options: options, event: "persist").run()
        default: return SocketIOFanoutBench(options: options).run()
        }
    }
    guard let scenario = arguments.first, scenario == "ws-echo" || scenario == "ws-idle" else {
        System.progress(BenchOptions.usage + SocketIOBenchOptions.usage)
        return arguments.first == "--help" || arguments.first == "-h" ? 0 : 2
    }
    let options: BenchOptions
    do { options = try BenchOptions.parse(Array(arguments.dropFirst()), idle: scenario == "ws-idle") } catch {
        System.printError("\(error)\n\(BenchOptions.usage)\(SocketIOBenchOptions.usage)")
        return 2
    }
    return scenario == "ws-echo" ? EchoBench(options: options).run() : IdleBench(options: options).run()
}

exit(main())
