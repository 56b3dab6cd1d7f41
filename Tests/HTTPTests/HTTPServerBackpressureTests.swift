import EventLoop
import HTTP
import TestSupport
import XCTest

/// A client that sends requests but does not read the answers must not make the server buffer without bound.
final class HTTPServerBackpressureTests: XCTestCase {
    func testClientThatDoesNotReadPausesTheConnectionWithinTheBufferLimitAndThenGetsEverything() throws {
        let maxBuffered = 1024 * 1024
        let limits = ConnectionLimits(highWatermark: 64 * 1024, lowWatermark: 16 * 1024, maxBufferedBytes: maxBuffered,
                                      lingerMs: 200)
        let server = try TestHTTPServer(connectionLimits: limits)
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        // 80 x 256 KB = 20 MB of answers, twenty times the connection's buffer limit, asked for in one write.
        let count = 80
        try client.send(String(repeating: get("/big"), count: count))
        usleep(500_000)  // the client reads nothing meanwhile

        let handledWhileStalled = server.probe.count("/big")
        XCTAssertLessThan(handledWhileStalled, count, "the server must stop taking requests from a client that does not read")
        XCTAssertGreaterThan(handledWhileStalled, 0)
        XCTAssertLessThanOrEqual(server.server.peakBufferedBytes, maxBuffered, "buffered bytes stay within the limit")
        XCTAssertEqual(server.server.openConnectionCount, 1, "paused, not closed")

        for i in 0..<count {
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200, "response \(i)")
            XCTAssertTrue(response.body == TestHTTPServer.bigBody, "response \(i) body intact")
        }
        XCTAssertEqual(server.probe.count("/big"), count)
        XCTAssertLessThanOrEqual(server.server.peakBufferedBytes, maxBuffered)
        try client.send(get("/hello"))
        XCTAssertEqual(try client.readResponse().text, "hello", "the connection works normally afterwards")
    }

    /// A connection whose reading is paused (here: at the pipeline limit) and whose peer half-closed must not make its
    /// loop spin: the peer's shutdown stays readable for as long as the connection is paused.
    func testPausedConnectionWithHalfClosedPeerDoesNotSpin() throws {
        let server = try TestHTTPServer(configuration: HTTPServerConfiguration(headerTimeoutMs: 2_000, idleTimeoutMs: 5_000,
                                                                               maxPipelinedRequests: 1))
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/delay/600") + get("/hello"))
        XCTAssertTrue(waitUntil { server.probe.count("/delay") == 1 })
        client.shutdownWrite()
        usleep(50_000)
        let cpuBefore = processCPUMilliseconds()
        usleep(400_000)
        let cpuUsed = processCPUMilliseconds() - cpuBefore
        XCTAssertLessThan(cpuUsed, 150, "the loop spun for \(cpuUsed) ms of CPU in 400 ms while waiting")
        XCTAssertEqual(try client.readResponse().text, "delayed-600")
        XCTAssertEqual(try client.readResponse().text, "hello")
        XCTAssertTrue(client.closesWithoutMoreData())
    }
}
