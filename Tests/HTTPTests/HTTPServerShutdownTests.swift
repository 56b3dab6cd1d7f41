import EventLoop
import HTTP
import Synchronization
import TestSupport
import XCTest

/// Graceful shutdown: in-flight requests finish with `Connection: close`, idle connections close at once, no new
/// connections, the completion runs, and the deadline forces the rest closed.
final class HTTPServerShutdownTests: XCTestCase {
    func testInFlightRequestFinishesIdleClosesNewRefusedCompletionRuns() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let idle = try HTTPTestClient(port: server.port)
        try idle.send(get("/hello"))
        XCTAssertEqual(try idle.readResponse().text, "hello")
        let busy = try HTTPTestClient(port: server.port)
        try busy.send(get("/delay/300"))
        XCTAssertTrue(waitUntil { server.probe.count("/delay") == 1 })

        let completed = Atomic<Bool>(false)
        let start = ContinuousClock.now
        server.server.shutdown(deadlineMs: 2_000) { completed.store(true, ordering: .releasing) }

        XCTAssertTrue(idle.closesWithoutMoreData(), "an idle keep-alive connection is closed at once")
        XCTAssertLessThan(milliseconds(since: start), 250)
        let port = server.port
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { (try? BlockingSocket(port: port, receiveTimeoutMs: 200)) == nil },
                      "new connections are refused once shutdown started")

        let response = try busy.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "delayed-300")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(busy.closesWithoutMoreData())
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { completed.load(ordering: .acquiring) }, "completion runs")
        XCTAssertLessThan(milliseconds(since: start), 2_000, "done well before the deadline")
        XCTAssertEqual(server.server.openConnectionCount, 0)
    }

    func testDeadlineForcesAConnectionWhoseHandlerNeverAnswers() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/never"))
        XCTAssertTrue(waitUntil { server.probe.neverEntered.load(ordering: .acquiring) })
        let completed = Atomic<Bool>(false)
        let start = ContinuousClock.now
        server.server.shutdown(deadlineMs: 300) { completed.store(true, ordering: .releasing) }
        XCTAssertTrue(client.closesWithoutMoreData())
        let elapsed = milliseconds(since: start)
        XCTAssertGreaterThanOrEqual(elapsed, 280, "not closed before the deadline")
        XCTAssertLessThan(elapsed, 1_000)
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { completed.load(ordering: .acquiring) })
    }

    func testShutdownWithoutConnectionsCompletesAtOnce() throws {
        let server = try TestHTTPServer(loops: 2)
        defer { server.stop() }
        let completed = Atomic<Bool>(false)
        server.server.shutdown(deadlineMs: 5_000) { completed.store(true, ordering: .releasing) }
        XCTAssertTrue(waitUntil(timeoutSeconds: 1) { completed.load(ordering: .acquiring) })
    }
}
