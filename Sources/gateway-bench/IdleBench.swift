import EventLoop
import Synchronization
import WebSocket

/// `ws-idle`: the server's memory per open, idle WebSocket. Reads the server's RSS, opens N connections (each exchanges
/// one message of `size` bytes — above the 1 KiB compression threshold by default, so with --deflate the server's
/// inflater really exists and its compressor has run once), waits, reads the RSS again: (after - before) / N.
struct IdleBench {
    let options: BenchOptions

    func run() -> Int32 {
        let fdLimit = System.raiseFileLimit()
        guard fdLimit >= options.connections + 64 else {
            System.printError("fd limit \(fdLimit) is too low for \(options.connections) connections (+64 spare); "
                              + "raise the hard limit (ulimit -Hn, or LimitNOFILE) and retry")
            return 1
        }
        let pid = options.serverPID!
        guard let rssBefore = System.residentKiB(pid: pid) else {
            System.printError("cannot read VmRSS of pid \(pid) (/proc/\(pid)/status)")
            return 1
        }
        let group: EventLoopGroup
        do { group = try EventLoopGroup(count: options.loops) } catch {
            System.printError("cannot create loops: \(error)")
            return 1
        }
        let payload = Payloads.make(size: options.size)[0]
        let workers = group.loops.enumerated().map { index, loop in
            IdleWorker(loop: loop, options: options, payload: payload,
                       target: share(options.connections, part: index, of: options.loops),
                       maxPending: share(options.handshakes, part: index, of: options.loops))
        }
        group.start()
        // The loops hold unowned references to the workers: stop them before the workers go away, on every return.
        defer { withExtendedLifetime(workers) { group.shutdown() } }
        let start = System.monotonicNanoseconds()
        for worker in workers { worker.loop.execute { worker.start() } }

        func total(_ counter: (IdleWorker.Counts) -> Int) -> Int {
            workers.reduce(0) { $0 + counter($1.counts()) }
        }
        var lastReport = start
        while total(\.exchanged) + total(\.failed) + total(\.errors) < options.connections {
            let now = System.monotonicNanoseconds()
            if now - start > 300_000_000_000 {
                System.printError("not all connections open after 300 s")
                break
            }
            if now - lastReport > 1_000_000_000 {
                lastReport = now
                System.progress("ws-idle: \(total(\.opened)) open, \(total(\.exchanged)) exchanged, \(total(\.failed)) failed")
            }
            System.sleep(seconds: 0.01)
        }
        let openSeconds = Double(System.monotonicNanoseconds() - start) / 1e9
        System.sleep(seconds: options.settleSeconds)

        let rssAfter = System.residentKiB(pid: pid) ?? 0
        let clientRSS = System.ownResidentKiB() ?? 0
        let opened = total(\.opened), exchanged = total(\.exchanged), negotiated = total(\.negotiated)
        let stillOpen = opened - total(\.closed)
        let errors = total(\.failed) + total(\.errors)
        let firstError = workers.compactMap { $0.firstError.withLock { $0 } }.first
        let perConnection = stillOpen > 0 ? Double(rssAfter - rssBefore) * 1024 / Double(stillOpen) : 0

        print("""
            ws-idle \(options.host):\(options.port)\(options.path): \(options.connections) connections requested, \
            deflate \(options.deflate ? "on" : "off")
              opened        \(opened) in \(format(openSeconds, 1)) s (\(stillOpen) still open after \(format(options.settleSeconds, 1)) s)
              exchanged     \(exchanged) echoes of \(options.size) B\(options.deflate ? ", permessage-deflate agreed on \(negotiated)" : "")
              server RSS    \(rssBefore) KiB before, \(rssAfter) KiB after: \(Int(perConnection.rounded())) B per connection
              client RSS    \(clientRSS) KiB
              errors        \(errors)\(firstError.map { " (first: \($0))" } ?? "")
            """)
        print("{\"scenario\":\"ws-idle\",\"connections\":\(stillOpen),\"requested\":\(options.connections),"
              + "\"deflate\":\(options.deflate),\"deflateNegotiated\":\(negotiated),\"messageSize\":\(options.size),"
              + "\"messagesExchanged\":\(exchanged),\"serverRssBeforeKiB\":\(rssBefore),\"serverRssAfterKiB\":\(rssAfter),"
              + "\"bytesPerConnection\":\(Int(perConnection.rounded())),\"clientRssKiB\":\(clientRSS),"
              + "\"openSeconds\":\(format(openSeconds, 2)),\"errors\":\(errors)}")
        return errors == 0 && stillOpen == options.connections ? 0 : 3
    }
}

/// One loop's share. Loop-confined except the counters the main thread polls.
final class IdleWorker: @unchecked Sendable {
    let loop: EventLoop
    let options: BenchOptions
    let payload: [UInt8]
    let target: Int
    let maxPending: Int
    let opened = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let exchanged = Atomic<Int>(0)
    let negotiated = Atomic<Int>(0)
    let closed = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let firstError = Mutex<String?>(nil)

    // Loop-confined.
    private var opener: ConnectionOpener?
    private var sessions: [WebSocketSession] = []

    init(loop: EventLoop, options: BenchOptions, payload: [UInt8], target: Int, maxPending: Int) {
        self.loop = loop
        self.options = options
        self.payload = payload
        self.target = target
        self.maxPending = maxPending
    }

    func start() {
        guard target > 0 else { return }
        // memLevel 1 sizes only our own compressor (~17 KB instead of ~144 KB at 12 bits): 10,000 of them stay small.
        let configuration = ConnectionOpener.configuration(deflate: options.deflate, clientMemLevel: 1)
        let opener = ConnectionOpener(
            loop: loop, options: options, configuration: configuration, target: target, maxPending: maxPending,
            onOpen: { [unowned self] session in opened(session) },
            onFailure: { [unowned self] error in
                note(error.description)
                failed.add(1, ordering: .relaxed)
            })
        self.opener = opener
        opener.pump()
    }

    private func opened(_ session: WebSocketSession) {
        sessions.append(session)
        opened.add(1, ordering: .relaxed)
        if session.negotiatedDeflate != nil { negotiated.add(1, ordering: .relaxed) }
        let size = payload.count
        session.onTextBytes = { [unowned self, unowned session] bytes in
            if bytes.count != size {
                note("echo of \(bytes.count) bytes, sent \(size)")
                errors.add(1, ordering: .relaxed)
            } else {
                exchanged.add(1, ordering: .relaxed)
            }
            session.onTextBytes = nil
        }
        session.onClose = { [unowned self] info in
            note("connection closed while idle: \(info)")
            closed.add(1, ordering: .relaxed)
        }
        session.sendText(utf8: payload)
    }

    struct Counts {
        var opened, failed, exchanged, negotiated, closed, errors: Int
    }

    /// Any thread.
    func counts() -> Counts {
        Counts(opened: opened.load(ordering: .relaxed), failed: failed.load(ordering: .relaxed),
               exchanged: exchanged.load(ordering: .relaxed), negotiated: negotiated.load(ordering: .relaxed),
               closed: closed.load(ordering: .relaxed), errors: errors.load(ordering: .relaxed))
    }

    private func note(_ message: String) {
        firstError.withLock { if $0 == nil { $0 = message } }
    }
}
