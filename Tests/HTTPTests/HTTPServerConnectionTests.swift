import EventLoop
import HTTP
import TestSupport
import XCTest

/// Keep-alive, pipelining, chunked request bodies and `Expect: 100-continue`, over real sockets.
final class HTTPServerConnectionTests: XCTestCase {
    func testKeepAliveServesSeveralRequestsOnOneSocket() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        for i in 0..<3 {
            try client.send(post("/echo", body: "body-\(i)"))
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.text, "body-\(i)")
            XCTAssertNil(response.header("Connection"), "an HTTP/1.1 keep-alive response needs no Connection field")
        }
        XCTAssertEqual(server.probe.count("/echo"), 3)
        XCTAssertEqual(server.server.openConnectionCount, 1, "all three went over the same connection")
    }

    func testClientThatHalfClosesAfterItsRequestStillGetsTheAnswer() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/delay/200"))
        client.shutdownWrite()
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(client.closesWithoutMoreData(), "the server closes once the owed answer is sent")
    }

    func testHTTP10WithoutKeepAliveIsClosedAfterTheResponse() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send("GET /hello HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "hello")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.closesWithoutMoreData())
    }

    func testHTTP10WithKeepAliveStaysOpen() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        for _ in 0..<2 {
            try client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.header("Connection"), "keep-alive")
        }
    }

    func testConnectionCloseClosesAfterTheResponse() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/hello", "Connection: close\r\n"))
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.closesWithoutMoreData())
    }

    /// RFC 9112 §9.6: after a request with `Connection: close` the server must not process further requests on the
    /// connection — even when they were pipelined behind it and the first is still being answered.
    func testRequestsPipelinedAfterConnectionCloseAreNotProcessed() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/delay/100", "Connection: close\r\n") + get("/hello"))
        let response = try client.readResponse()
        XCTAssertEqual(response.text, "delayed-100")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.closesWithoutMoreData())
        XCTAssertEqual(server.probe.count("/hello"), 0, "the request after Connection: close must not run")
    }

    func testPipelinedRequestsAreAnsweredInOrderEvenWhenAnEarlierOneFinishesLater() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        // One write: the slow request first, then a faster one, then one answered synchronously, then a body.
        try client.send(get("/delay/250") + get("/delay/20") + get("/hello") + post("/echo", body: "pipelined body ✓"))
        let texts = try (0..<4).map { _ in try client.readResponse().text }
        XCTAssertEqual(texts, ["delayed-250", "delayed-20", "hello", "pipelined body ✓"])
        // And the connection is still usable.
        try client.send(get("/hello"))
        XCTAssertEqual(try client.readResponse().text, "hello")
    }

    func testManyPipelinedRequestsPastThePipelineLimitAreAllAnswered() throws {
        let server = try TestHTTPServer(configuration: HTTPServerConfiguration(headerTimeoutMs: 2_000, idleTimeoutMs: 5_000,
                                                                               maxPipelinedRequests: 4))
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        let count = 20
        try client.send((0..<count).map { i in i % 2 == 0 ? get("/delay/\(20 - i)") : post("/echo", body: "#\(i)") }.joined())
        for i in 0..<count {
            XCTAssertEqual(try client.readResponse().text, i % 2 == 0 ? "delayed-\(20 - i)" : "#\(i)")
        }
    }

    func testChunkedRequestBodyIsReassembled() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        usleep(20_000)
        try client.send("6;ext=1\r\n world\r\n")
        usleep(20_000)
        try client.send("0\r\nX-Trailer: t\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "hello world")
        // A second chunked request on the same connection, sent in one piece.
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "abc")
    }

    func testExpectContinueGets100BeforeTheFinalResponse() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        XCTAssertEqual(interim.status, 100, "the server must invite the body before it is sent")
        try client.send("payload")
        let final = try client.readResponse()
        XCTAssertEqual(final.status, 200)
        XCTAssertEqual(final.text, "payload")
    }

    /// A `100 Continue` belongs to its own request: when earlier pipelined requests are still unanswered, it must not
    /// overtake their responses (the client would take it as the answer to the first request).
    func testExpectContinueBehindAPendingRequestKeepsResponseOrder() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = try HTTPTestClient(port: server.port)
        try client.send(get("/delay/150") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let first = try client.readResponse()
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.text, "delayed-150")
        XCTAssertEqual(try client.readResponse().status, 100)
        try client.send("data")
        XCTAssertEqual(try client.readResponse().text, "data")
    }

    func testTwoLoopsBothServeRequests() throws {
        let server = try TestHTTPServer(loops: 2)
        defer { server.stop() }
        var clients: [HTTPTestClient] = []
        for _ in 0..<4 { clients.append(try HTTPTestClient(port: server.port)) }
        var loopsSeen: [String] = []
        for client in clients {
            try client.send(get("/loop"))
            loopsSeen.append(try client.readResponse().text)
            try client.send(post("/echo", body: "still works"))
            XCTAssertEqual(try client.readResponse().text, "still works")
        }
        XCTAssertEqual(Set(loopsSeen), ["0", "1"], "connections spread over both loops: \(loopsSeen)")
        XCTAssertEqual(loopsSeen.filter { $0 == "0" }.count, 2)
        XCTAssertEqual(server.server.openConnectionCount, 4)
    }
}
