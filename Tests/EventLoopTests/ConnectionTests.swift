import EventLoop
import Synchronization
import TestSupport
import XCTest

/// Echoes what it reads.
private final class EchoDelegate: ConnectionDelegate {
    func connectionDidBecomeActive(_ connection: Connection) {}
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) { connection.write(Array(bytes)) }
    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {}
}

/// Writes `total` bytes, either ignoring backpressure (a broadcast to a stalled peer) or respecting `isWritable`.
private final class FloodDelegate: ConnectionDelegate {
    let total: Int
    let respectBackpressure: Bool
    let observed: ObservedFlood
    var written = 0

    init(total: Int, respectBackpressure: Bool, observed: ObservedFlood) {
        self.total = total
        self.respectBackpressure = respectBackpressure
        self.observed = observed
    }

    func connectionDidBecomeActive(_ connection: Connection) { pump(connection) }
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionWritabilityDidChange(_ connection: Connection) {
        if connection.isWritable { pump(connection) } else { observed.pauses.wrappingAdd(1, ordering: .relaxed) }
    }
    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {
        observed.closeReason.withLock { $0 = reason }
    }

    private func pump(_ connection: Connection) {
        let chunk = [UInt8](repeating: 0x61, count: 16 * 1024)
        while written < total && connection.isOpen && (!respectBackpressure || connection.isWritable) {
            connection.write(chunk)
            written += chunk.count
            observed.maxBuffered.withLock { $0 = max($0, connection.bufferedBytes) }
        }
    }
}

private final class ObservedFlood: Sendable {
    let maxBuffered = Mutex(0)
    let pauses = Atomic<Int>(0)
    let closeReason = Mutex<ConnectionCloseReason?>(nil)
}

final class ConnectionTests: XCTestCase {
    private func startServer(limits: ConnectionLimits = ConnectionLimits(), loops: Int = 1,
                             makeDelegate: @escaping @Sendable () -> ConnectionDelegate) throws -> (EventLoopGroup, Listener) {
        let group = try EventLoopGroup(count: loops)
        group.start()
        let listener = try Listener(host: "127.0.0.1", port: 0, options: ListenerOptions(connectionLimits: limits),
                                    counter: ConnectionCounter(limit: 1000))
        listener.start(on: group.loops) { connection in connection.delegate = makeDelegate() }
        return (group, listener)
    }

    func testEchoOverManyConnectionsAndLoops() throws {
        let (group, listener) = try startServer(loops: 2) { EchoDelegate() }
        defer { listener.stop(); group.shutdown() }
        var clients: [BlockingSocket] = []
        for _ in 0..<20 { clients.append(try BlockingSocket(port: listener.port)) }
        for (i, client) in clients.enumerated() {
            let message = "hello \(i) " + String(repeating: "x", count: i * 1000)
            try client.send(message)
            let echoed = try client.receive { $0.count >= message.utf8.count }
            XCTAssertEqual(String(decoding: echoed, as: UTF8.self), message)
        }
        XCTAssertTrue(waitUntil { group.loops.map(\.connectionCount) == [10, 10] }, "connections spread evenly over both loops")
    }

    func testProducerIgnoringBackpressureIsClosedAtTheConfiguredLimit() throws {
        let observed = ObservedFlood()
        let limits = ConnectionLimits(highWatermark: 64 * 1024, lowWatermark: 16 * 1024, maxBufferedBytes: 1024 * 1024)
        let (group, listener) = try startServer(limits: limits) {
            FloodDelegate(total: 64 * 1024 * 1024, respectBackpressure: false, observed: observed)
        }
        defer { listener.stop(); group.shutdown() }
        let client = try BlockingSocket(port: listener.port)
        client.setReceiveBuffer(bytes: 4096)
        XCTAssertTrue(waitUntil { observed.closeReason.withLock { $0 } != nil })
        XCTAssertEqual(observed.closeReason.withLock { $0 }, .writeBufferOverflow(limit: 1024 * 1024))
        XCTAssertLessThanOrEqual(observed.maxBuffered.withLock { $0 }, 1024 * 1024, "never buffered past the limit")
    }

    func testProducerRespectingBackpressurePausesAndDeliversEverything() throws {
        let observed = ObservedFlood()
        let total = 32 * 1024 * 1024
        let limits = ConnectionLimits(highWatermark: 64 * 1024, lowWatermark: 16 * 1024, maxBufferedBytes: 1024 * 1024)
        let (group, listener) = try startServer(limits: limits) {
            FloodDelegate(total: total, respectBackpressure: true, observed: observed)
        }
        defer { listener.stop(); group.shutdown() }
        let client = try BlockingSocket(port: listener.port)
        usleep(300_000)  // the client reads nothing for a while: the server must pause, not buffer
        XCTAssertGreaterThan(observed.pauses.load(ordering: .relaxed), 0)
        XCTAssertLessThanOrEqual(observed.maxBuffered.withLock { $0 }, 64 * 1024 + 16 * 1024)
        var received = 0
        while received < total {
            let chunk = try client.receiveSome()
            XCTAssertFalse(chunk.isEmpty)
            received += chunk.count
        }
        XCTAssertEqual(received, total)
        XCTAssertNil(observed.closeReason.withLock { $0 })
    }

    /// A peer that reads slowly gets partial writes: of one big chunk (written alone, the single-chunk path) and of many
    /// small ones (gathered), every byte arrives once and in order.
    func testPartialWritesOfOneChunkAndOfManyKeepEveryByteInOrder() throws {
        let big = (0..<(8 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        final class Writer: ConnectionDelegate {
            let chunks: [[UInt8]]
            init(_ chunks: [[UInt8]]) { self.chunks = chunks }
            func connectionDidBecomeActive(_ connection: Connection) { for chunk in chunks { connection.write(chunk) } }
            func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
            func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {}
        }
        let small = stride(from: 0, to: big.count, by: 1000).map { Array(big[$0..<min($0 + 1000, big.count)]) }
        for chunks in [[big], small] {
            let (group, listener) = try startServer(limits: ConnectionLimits(maxBufferedBytes: 16 * 1024 * 1024)) {
                Writer(chunks)
            }
            defer { listener.stop(); group.shutdown() }
            let client = try BlockingSocket(port: listener.port)
            client.setReceiveBuffer(bytes: 64 * 1024)
            usleep(100_000)  // the server's first writes fill the socket buffers and stop part-way
            let received = try client.receive { $0.count >= big.count }
            XCTAssertEqual(received.count, big.count)
            XCTAssertTrue(received == big, "bytes lost, repeated or reordered (\(chunks.count) chunks)")
        }
    }

    func testConnectionLimitRefusesTheConnectionPastIt() throws {
        let group = try EventLoopGroup(count: 1)
        group.start()
        let listener = try Listener(host: "127.0.0.1", port: 0, counter: ConnectionCounter(limit: 2))
        listener.start(on: group.loops) { $0.delegate = EchoDelegate() }
        defer { listener.stop(); group.shutdown() }
        let a = try BlockingSocket(port: listener.port)
        let b = try BlockingSocket(port: listener.port)
        try a.send("a"); try b.send("b")
        XCTAssertEqual(try a.receiveSome(), Array("a".utf8))
        XCTAssertEqual(try b.receiveSome(), Array("b".utf8))
        let c = try BlockingSocket(port: listener.port)
        XCTAssertTrue(c.isClosedByPeer(), "the third connection is over the limit of 2")
    }

    func testClientConnectionFromALoop() throws {
        let (group, listener) = try startServer { EchoDelegate() }
        defer { listener.stop(); group.shutdown() }
        final class Collector: ConnectionDelegate, @unchecked Sendable {
            let received = Mutex<[UInt8]>([])
            func connectionDidBecomeActive(_ connection: Connection) { connection.write(Array("ping".utf8)) }
            func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
                received.withLock { $0 += Array(bytes) }
            }
            func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {}
        }
        let collector = Collector()
        let port = listener.port
        group.loops[0].execute {
            Connection.connect(host: "127.0.0.1", port: port, on: group.loops[0], delegate: collector) { result in
                if case .failure(let error) = result { XCTFail("\(error)") }
            }
        }
        XCTAssertTrue(waitUntil { collector.received.withLock { $0 } == Array("ping".utf8) })
    }
}
