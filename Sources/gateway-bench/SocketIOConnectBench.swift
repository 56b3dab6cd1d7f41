import EventLoop
import Glibc
import Synchronization
import SocketIOClient

/// `connect`: N Socket.IO connections opened and held; connect latency percentiles and, with --server-pid, the server's
/// memory per connection ((VmRSS after − before) / N, read after --settle seconds).
struct SocketIOConnectBench {
    let options: SocketIOBenchOptions

    func run() -> Int32 {
        guard let run = SocketIORun(options: options, scenario: "connect") else { return 1 }
        defer { run.shutdown() }
        let rssBefore = options.serverPID.flatMap { System.residentKiB(pid: $0) }
        for connector in run.connectors {
            connector.onConnected = { [unowned connector] _, _, nanoseconds in
                connector.histogram.record(nanoseconds: nanoseconds)
            }
        }
        guard let openSeconds = run.openAll(target: options.connections) else { return 1 }
        System.sleep(seconds: options.settleSeconds)
        let rssAfter = options.serverPID.flatMap { System.residentKiB(pid: $0) }
        let histogram = run.mergedHistogram()
        let opened = run.opened, failed = run.failed, dropped = run.dropped
        let stillOpen = opened - dropped
        let perConnection: String = {
            guard let rssBefore, let rssAfter, stillOpen > 0 else { return "null" }
            return String(Int((Double(rssAfter - rssBefore) * 1024 / Double(stillOpen)).rounded()))
        }()
        let p50 = histogram.percentileUs(0.5), p90 = histogram.percentileUs(0.9), p99 = histogram.percentileUs(0.99)
        print("""
            connect \(options.url): \(opened)/\(options.connections) Socket.IO connections in \(format(openSeconds, 2)) s, \
            \(options.handshakes) at a time
              connect       p50 \(p50) µs   p90 \(p90) µs   p99 \(p99) µs
              server RSS    \(rssBefore.map(String.init) ?? "?") KiB before, \(rssAfter.map(String.init) ?? "?") KiB after: \
            \(perConnection) B per connection
              errors        \(failed + dropped)\(run.firstError.map { " (first: \($0))" } ?? "")
            """)
        print("{\"scenario\":\"connect\",\"connections\":\(stillOpen),\"requested\":\(options.connections),"
              + "\"openSeconds\":\(format(openSeconds, 2)),\"connectP50us\":\(p50),\"connectP90us\":\(p90),\"connectP99us\":\(p99),"
              + "\"serverRssBeforeKiB\":\(rssBefore.map(String.init) ?? "null"),\"serverRssAfterKiB\":\(rssAfter.map(String.init) ?? "null"),"
              + "\"bytesPerConnection\":\(perConnection),\"errors\":\(failed + dropped)}")
        return failed + dropped == 0 ? 0 : 3
    }
}

/// What every Socket.IO scenario shares: the loops, one connector per loop, opening and closing.
final class SocketIORun {
    let options: SocketIOBenchOptions
    let group: EventLoopGroup
    let connectors: [SocketIOConnector]

    init?(options: SocketIOBenchOptions, scenario: String) {
        self.options = options
        let fdLimit = System.raiseFileLimit()
        guard fdLimit >= options.connections + 64 else {
            System.printError("fd limit \(fdLimit) is too low for \(options.connections) connections; raise the hard limit (ulimit -Hn)")
            return nil
        }
        let clientOptions: SocketIOClient.Options
        do { clientOptions = try options.clientOptions() } catch {
            System.printError("\(error)")
            return nil
        }
        do { group = try EventLoopGroup(count: options.loops) } catch {
            System.printError("cannot create loops: \(error)")
            return nil
        }
        let auths = options.auths, loopCount = options.loops
        connectors = group.loops.enumerated().map { index, loop in
            // Loop i takes every loopCount-th payload from i on, so that no two connections share one.
            let mine = stride(from: index, to: auths.count, by: loopCount).map { auths[$0] }
            return SocketIOConnector(loop: loop, clientOptions: clientOptions, auths: mine.isEmpty ? auths : mine, target: 0,
                                     maxPending: 1)
        }
        group.start()
    }

    /// Opens `target` connections spread over the loops; the wall time it took, nil when none opened in 120 s.
    func openAll(target: Int, extra: Int = 0) -> Double? {
        let start = System.monotonicNanoseconds()
        for (index, connector) in connectors.enumerated() {
            let count = share(target, part: index, of: options.loops) + (index == 0 ? extra : 0)
            let pending = share(options.handshakes, part: index, of: options.loops)
            connector.loop.execute { connector.configure(target: count, maxPending: pending) }
        }
        var lastReport = start
        while opened + failed < target + extra {
            let now = System.monotonicNanoseconds()
            if now - start > 120_000_000_000 {
                System.printError("connections still not open after 120 s")
                break
            }
            if now - lastReport > 1_000_000_000 {
                lastReport = now
                System.progress("\(opened) connected, \(failed) failed")
            }
            System.sleep(seconds: 0.005)
        }
        guard opened > 0 else {
            System.printError("no connection opened: \(firstError ?? "?")")
            return nil
        }
        return Double(System.monotonicNanoseconds() - start) / 1e9
    }

    var opened: Int { connectors.reduce(0) { $0 + $1.opened.load(ordering: .relaxed) } }
    var failed: Int { connectors.reduce(0) { $0 + $1.failed.load(ordering: .relaxed) } }
    var dropped: Int { connectors.reduce(0) { $0 + $1.disconnected.load(ordering: .relaxed) } }

    /// The loops' histograms merged (read on each loop).
    func mergedHistogram() -> LatencyHistogram {
        let merged = Mutex(LatencyHistogram())
        onEveryLoop { connector in merged.withLock { $0.merge(connector.histogram) } }
        return merged.withLock { $0 }
    }

    var firstError: String? { connectors.compactMap { $0.firstError.withLock { $0 } }.first }

    /// Runs `body` on every loop and waits for all of them.
    func onEveryLoop(_ body: @escaping @Sendable (SocketIOConnector) -> Void) {
        let done = Atomic<Int>(0)
        for connector in connectors {
            connector.loop.execute {
                body(connector)
                done.add(1, ordering: .relaxed)
            }
        }
        while done.load(ordering: .relaxed) < connectors.count { System.sleep(seconds: 0.001) }
    }

    /// Warm-up, then a measured window of --duration seconds on every loop; returns the events per second summed over
    /// the loops, with the wall time and the client's and server's CPU share during the window.
    func measure() -> (rate: Double, events: UInt64, clientCPU: String, serverCPU: String) {
        System.sleep(seconds: options.warmupSeconds)
        let clientCPU0 = System.cpuSeconds(pid: getpid()), serverCPU0 = options.serverPID.flatMap { System.cpuSeconds(pid: $0) }
        let wall0 = System.monotonicNanoseconds()
        onEveryLoop { $0.beginWindow() }
        System.sleep(seconds: options.durationSeconds)
        onEveryLoop { $0.endWindow() }
        let wall = Double(System.monotonicNanoseconds() - wall0) / 1e9
        let clientCPU1 = System.cpuSeconds(pid: getpid()), serverCPU1 = options.serverPID.flatMap { System.cpuSeconds(pid: $0) }
        func percent(_ a: Double?, _ b: Double?) -> String {
            guard let a, let b else { return "null" }
            return format((b - a) / wall * 100, 0)
        }
        let events = Mutex<(UInt64, Double)>((0, 0))
        onEveryLoop { connector in
            events.withLock { $0.0 += connector.events; $0.1 += Double(connector.events) / max(connector.windowSeconds, 1e-9) }
        }
        let (count, rate) = events.withLock { $0 }
        return (rate, count, percent(clientCPU0, clientCPU1), percent(serverCPU0, serverCPU1))
    }

    func shutdown() {
        onEveryLoop { $0.closeAll() }
        System.sleep(seconds: 0.2)
        withExtendedLifetime(connectors) { group.shutdown() }
    }
}
