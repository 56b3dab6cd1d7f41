import Glibc

/// `gateway-bench`: load generator for the gateway's WebSocket layer, on the project's own client and event loop.
/// Scenarios: `ws-echo` (throughput and latency) and `ws-idle` (server memory per open connection).
nonisolated func main() -> Int32 {
    let arguments = Array(CommandLine.arguments.dropFirst())
    guard let scenario = arguments.first, scenario == "ws-echo" || scenario == "ws-idle" else {
        System.progress(BenchOptions.usage)
        return arguments.first == "--help" || arguments.first == "-h" ? 0 : 2
    }
    let options: BenchOptions
    do { options = try BenchOptions.parse(Array(arguments.dropFirst()), idle: scenario == "ws-idle") } catch {
        System.printError("\(error)\n\(BenchOptions.usage)")
        return 2
    }
    return scenario == "ws-echo" ? EchoBench(options: options).run() : IdleBench(options: options).run()
}

exit(main())
