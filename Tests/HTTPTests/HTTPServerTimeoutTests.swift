import EventLoop
import Glibc
import HTTP
import TestSupport
import XCTest

/// Header timeout (slowloris), silent close of a silent client, idle keep-alive timeout.
final class HTTPServerTimeoutTests: XCTestCase {
    static let headerTimeoutMs = 300.0
    static let idleTimeoutMs = 400.0
    var server: TestHTTPServer!

    override func setUpWithError() throws {
        server = try TestHTTPServer(configuration: HTTPServerConfiguration(headerTimeoutMs: UInt64(Self.headerTimeoutMs),
                                                                           idleTimeoutMs: UInt64(Self.idleTimeoutMs)))
    }

    override func tearDown() { server.stop() }

    /// Dribbles `text` one byte every 50 ms until the server answers or closes; returns what arrived and when
    /// (ms after the first byte).
    private func dribble(_ text: String, on client: HTTPTestClient) -> (bytes: [UInt8], atMs: Double) {
        let start = ContinuousClock.now
        var received: [UInt8] = []
        for byte in Array(text.utf8) {
            var b = byte
            guard Glibc.send(client.socket.fd, &b, 1, Int32(MSG_NOSIGNAL)) == 1 else { break }
            usleep(50_000)
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(client.socket.fd, $0.baseAddress, 4096, Int32(MSG_DONTWAIT)) }
            if n > 0 { received += buffer[0..<n]; break }
            if n == 0 { break }
        }
        return (received, milliseconds(since: start))
    }

    func testSlowlorisGets408AtTheHeaderTimeoutNotResetByEachByte() throws {
        let client = try HTTPTestClient(port: server.port)
        // ~100 bytes at 50 ms each would take 5 s: the answer must come at the header timeout (300 ms), not later.
        let (bytes, atMs) = dribble("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: " + String(repeating: "s", count: 60) + "\r\n\r\n",
                                    on: client)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 408 "), "got: \(text)")
        XCTAssertGreaterThanOrEqual(atMs, Self.headerTimeoutMs - 20)
        XCTAssertLessThan(atMs, Self.headerTimeoutMs + 400, "408 must come at the header timeout, not be pushed back per byte")
        XCTAssertTrue(client.socket.isClosedByPeer(), "closed after the 408")
    }

    func testClientThatSendsNothingIsClosedSilentlyAtTheHeaderTimeout() throws {
        let start = ContinuousClock.now
        let client = try HTTPTestClient(port: server.port)
        let rest = try client.readUntilClose()
        let elapsed = milliseconds(since: start)
        XCTAssertEqual(rest, [], "no 408 for a client that never started a request")
        XCTAssertGreaterThanOrEqual(elapsed, Self.headerTimeoutMs - 20)
        XCTAssertLessThan(elapsed, Self.headerTimeoutMs + 500)
    }

    func testIdleKeepAliveConnectionIsClosedAtTheIdleTimeout() throws {
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/hello"))
        XCTAssertEqual(try client.readResponse().text, "hello")
        let start = ContinuousClock.now
        let rest = try client.readUntilClose()
        let elapsed = milliseconds(since: start)
        XCTAssertEqual(rest, [], "an idle close is silent")
        XCTAssertGreaterThanOrEqual(elapsed, Self.idleTimeoutMs - 20)
        XCTAssertLessThan(elapsed, Self.idleTimeoutMs + 500)
    }

    func testActivityBeforeTheIdleTimeoutKeepsTheConnection() throws {
        let client = try HTTPTestClient(port: server.port)
        for _ in 0..<3 {
            try client.send(get("/hello"))
            XCTAssertEqual(try client.readResponse().text, "hello")
            usleep(UInt32(Self.idleTimeoutMs * 0.6 * 1000))
        }
        try client.send(get("/hello"))
        XCTAssertEqual(try client.readResponse().text, "hello", "each request restarts the idle timeout")
    }

    /// The start of a request pipelined behind a complete one is under the header timeout too: a client that stops
    /// half-way through its second request must not hold the connection forever.
    func testPartialRequestPipelinedBehindACompleteOneTimesOut() throws {
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/hello") + "GET /hel")
        XCTAssertEqual(try client.readResponse().text, "hello")
        let start = ContinuousClock.now
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 408)
        XCTAssertLessThan(milliseconds(since: start), Self.headerTimeoutMs + 500)
        XCTAssertTrue(client.closesWithoutMoreData())
    }

    /// A body that stops arriving: 408 after the idle timeout (the longest pause allowed between two body reads).
    func testStalledBodyGets408() throws {
        let client = try HTTPTestClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        let start = ContinuousClock.now
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 408)
        XCTAssertGreaterThanOrEqual(milliseconds(since: start), Self.idleTimeoutMs - 20)
        XCTAssertTrue(client.closesWithoutMoreData())
    }
}
