import EventLoop
import HTTP
import TestSupport
import XCTest

/// Every `HTTPLimits` value at its exact edge through a real server: at the limit accepted, one more refused with the
/// right status; every error response arrives intact (the server half-closes and lingers) and the connection closes.
final class HTTPServerLimitTests: XCTestCase {
    static let limits = HTTPLimits(maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 100)
    var server: TestHTTPServer!

    override func setUpWithError() throws {
        server = try TestHTTPServer(configuration: HTTPServerConfiguration(limits: Self.limits, headerTimeoutMs: 2_000,
                                                                           idleTimeoutMs: 5_000))
    }

    override func tearDown() { server.stop() }

    /// Sends `request` followed by `trailingJunk` bytes (input the server will never read: without the linger, closing
    /// with it unread would reset the connection and destroy the response), then expects `status` and a close.
    private func expectRefusal(_ request: String, status: Int, trailingJunk: Int = 64 * 1024,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try HTTPTestClient(port: server.port)
        try client.send(request)
        try client.send([UInt8](repeating: UInt8(ascii: "z"), count: trailingJunk))
        let response = try client.readResponse()
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        XCTAssertEqual(response.header("Connection"), "close", file: file, line: line)
        XCTAssertTrue(response.text.contains("\"status\":\(status)"), response.text, file: file, line: line)
        XCTAssertTrue(client.closesWithoutMoreData(), "the connection closes after the error", file: file, line: line)
    }

    private func expectAccepted(_ request: String, file: StaticString = #filePath, line: UInt = #line) throws -> TestResponse {
        let client = try HTTPTestClient(port: server.port)
        try client.send(request)
        let response = try client.readResponse()
        // The connection stays usable after a request at the limit.
        try client.send(get("/hello"))
        XCTAssertEqual(try client.readResponse().text, "hello", file: file, line: line)
        return response
    }

    func testRequestLineAtTheLimitIsAcceptedAndOneByteMoreIs414() throws {
        // "GET " + target + " HTTP/1.1\r\n" is 4 + 49 + 11 = 64 bytes (the query does not affect routing).
        let target = "/hello?" + String(repeating: "q", count: 42)
        let atLimit = "GET \(target) HTTP/1.1\r\n"
        XCTAssertEqual(atLimit.utf8.count, 64)
        XCTAssertEqual(try expectAccepted(atLimit + "Host: t\r\n\r\n").status, 200)
        // A path of the same length that no route knows: 404, still not 414.
        let unknown = "/nope" + String(repeating: "q", count: 44)
        XCTAssertEqual(try expectAccepted("GET \(unknown) HTTP/1.1\r\nHost: t\r\n\r\n").status, 404)
        try expectRefusal("GET \(target)q HTTP/1.1\r\nHost: t\r\n\r\n", status: 414)
    }

    func testHeaderBytesAtTheLimitAreAcceptedAndOneByteMoreIs431() throws {
        // After the request line: "Host: t\r\n" (9) + "X-Pad: " + v + "\r\n" (9 + v) + "\r\n" (2) = 128 with v = 108.
        func request(padding: Int) -> String {
            "GET /hello HTTP/1.1\r\nHost: t\r\nX-Pad: \(String(repeating: "p", count: padding))\r\n\r\n"
        }
        XCTAssertEqual(request(padding: 108).utf8.count - "GET /hello HTTP/1.1\r\n".utf8.count, 128)
        XCTAssertEqual(try expectAccepted(request(padding: 108)).status, 200)
        try expectRefusal(request(padding: 109), status: 431)
    }

    func testHeaderCountAtTheLimitIsAcceptedAndOneMoreIs431() throws {
        XCTAssertEqual(try expectAccepted("GET /hello HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n").status, 200)
        try expectRefusal("GET /hello HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", status: 431)
    }

    func testBodyAtTheLimitIsAcceptedAndOneByteMoreIs413() throws {
        let atLimit = String(repeating: "b", count: 100)
        let response = try expectAccepted(post("/echo", body: atLimit))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, atLimit)
        // Refused from the announced length; the client has already sent the body and more.
        try expectRefusal(post("/echo", body: atLimit + "b"), status: 413)
    }

    func testChunkedBodyOverTheLimitIs413() throws {
        let response = try expectAccepted("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                                          + "32\r\n\(String(repeating: "a", count: 50))\r\n32\r\n\(String(repeating: "b", count: 50))\r\n0\r\n\r\n")
        XCTAssertEqual(response.body.count, 100)
        try expectRefusal("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                          + "32\r\n\(String(repeating: "a", count: 50))\r\n33\r\n", status: 413)
    }

    func testMalformedRequestsAre400() throws {
        try expectRefusal("GET /hello HTTP/1.1\r\nHost t\r\n\r\n", status: 400)
        try expectRefusal("GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n", status: 400)
        try expectRefusal("GET /hello HTTP/1.1\r\n\r\n", status: 400, trailingJunk: 0)  // no Host
        try expectRefusal("GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400)
    }

    /// A parse error behind a request still being answered: the error goes out after that request's response, not
    /// before it (the client would take it as the answer to its first request).
    func testErrorAfterAPendingPipelinedRequestKeepsResponseOrder() throws {
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/delay/150") + "GET /hello HTTP/1.1\r\nHost t\r\n\r\n")
        let first = try client.readResponse()
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.text, "delayed-150")
        XCTAssertEqual(try client.readResponse().status, 400)
        XCTAssertTrue(client.closesWithoutMoreData())
    }
}
